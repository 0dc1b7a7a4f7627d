from typing import Optional, Sequence, Union

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio

from mmdet.registry import TRANSFORMS

from ..converters.deeplesion import DEFAULT_WINDOW, window_slice


@TRANSFORMS.register_module()
class LoadDeepLesionSlice(BaseTransform):
    """Load a DeepLesion key slice (16-bit PNG, HU + 32768) windowed to
    uint8; in place of ``LoadImageFromFile``, whose 8-bit colour read would
    keep only the low byte of each pixel.

    Required keys: ``img_path`` (and ``dicom_window`` with
    ``window='dicom'``). Added: ``img`` (uint8, H x W x ``channels``),
    ``img_shape``, ``ori_shape``.

    Args:
        window: ``(low, high)`` in HU (:func:`~plb_mm.datasets.converters.deeplesion.window_slice`),
            default ``(-1024, 3071)``, DeepLesion paper's whole range; or
            ``'dicom'``: the image's ``dicom_window`` (the ``DICOM_windows``
            column the converter stores in the image record; the data set
            must pass that record field into the data info: mmdet's
            ``CocoDataset`` does not).
        channels (int): 3 (the slice repeated, for ImageNet / COCO
            backbones) or 1.
        backend_args (dict, optional): mmengine file backend arguments.
    """

    def __init__(self, window: Union[Sequence[float], str] = DEFAULT_WINDOW, channels: int = 3,
                 backend_args: Optional[dict] = None) -> None:
        if isinstance(window, str):
            if window != 'dicom':
                raise ValueError(f"window={window!r}: expected (low, high) in HU or 'dicom'")
        else:
            window = tuple(float(v) for v in window)
            if len(window) != 2 or not window[1] > window[0]:
                raise ValueError(f'window={window}: expected (low, high) HU with low < high')
        if channels not in (1, 3):
            raise ValueError(f'channels={channels}: expected 1 or 3')
        self.window = window
        self.channels = channels
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        path = results['img_path']
        png = mmcv.imfrombytes(fileio.get(path, backend_args=self.backend_args),
                               flag='unchanged', backend='cv2')
        if png is None or png.dtype != np.uint16 or png.ndim != 2:
            what = 'unreadable' if png is None else f'{png.dtype} with shape {png.shape}'
            raise ValueError(f'{path}: {what}; a DeepLesion slice is a one-channel 16-bit PNG')
        if self.window == 'dicom':
            if results.get('dicom_window') is None:
                raise KeyError(f"{path}: window='dicom' needs the image's dicom_window in the "
                               f"data info: give the data set image_fields=('dicom_window',)")
            window = results['dicom_window']
        else:
            window = self.window
        img = window_slice(png, window)
        if self.channels == 3:
            img = np.repeat(img[..., None], 3, axis=2)
        else:
            img = img[..., None]
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(window={self.window!r}, channels={self.channels}, '
                f'backend_args={self.backend_args})')

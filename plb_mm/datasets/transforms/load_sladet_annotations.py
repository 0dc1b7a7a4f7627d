import numpy as np
from mmdet.datasets.transforms import LoadAnnotations
from mmdet.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadSLADetAnnotations(LoadAnnotations):
    """mmdet's ``LoadAnnotations`` plus SLA-Det's labelled regions and box
    attributes (docs/sladet.md, "Data contract").

    Added keys:

    - ``gt_labeled_regions`` (np.float32 (k, 4), x1 y1 x2 y2): the data
      info's ``labeled_regions``; ``[[0, 0, W, H]]`` (the whole image, from
      ``ori_shape``, else the record's ``width`` / ``height``) when it is
      None or absent; ``(0, 4)`` when nothing is labelled.
    - ``gt_attributes`` (np.int64 (n, num_attributes)): each instance's
      ``attributes`` (-1 unknown; all -1 for an instance without), row by
      row with ``gt_bboxes``.

    Args:
        with_regions (bool): load ``gt_labeled_regions``. Defaults to True.
        with_attributes (bool): load ``gt_attributes``. Defaults to True.
        num_attributes (int): attributes per box. Defaults to 6.
        **kwargs: ``LoadAnnotations``'s arguments (``with_bbox=True``,
            ``with_label=True``, ...).
    """

    def __init__(self, with_regions: bool = True, with_attributes: bool = True,
                 num_attributes: int = 6, **kwargs) -> None:
        super().__init__(**kwargs)
        self.with_regions = with_regions
        self.with_attributes = with_attributes
        self.num_attributes = num_attributes

    def transform(self, results: dict) -> dict:
        results = super().transform(results)
        if self.with_regions:
            results['gt_labeled_regions'] = self._regions(results)
        if self.with_attributes:
            rows = [inst.get('attributes', [-1] * self.num_attributes)
                    for inst in results.get('instances', [])]
            bad = [i for i, row in enumerate(rows) if len(row) != self.num_attributes]
            if bad:
                raise ValueError(
                    f"{results.get('img_path')} (image id {results.get('img_id')}): "
                    f'instance {bad[0]} has {len(rows[bad[0]])} attributes, expected '
                    f'num_attributes={self.num_attributes}')
            results['gt_attributes'] = np.array(rows, np.int64).reshape(-1, self.num_attributes)
        return results

    @staticmethod
    def _regions(results: dict) -> np.ndarray:
        regions = results.get('labeled_regions')
        if regions is not None:
            return np.array(regions, np.float32).reshape(-1, 4)
        if 'ori_shape' in results:
            h, w = results['ori_shape'][:2]
        elif 'height' in results and 'width' in results:
            h, w = results['height'], results['width']
        else:
            raise KeyError('LoadSLADetAnnotations: the whole-image region needs the image '
                           "size: load the image first (ori_shape) or give 'height' and "
                           "'width' in the data info")
        return np.array([[0, 0, w, h]], np.float32)

    def __repr__(self) -> str:
        return (super().__repr__()[:-1] + f', with_regions={self.with_regions}, '
                f'with_attributes={self.with_attributes}, '
                f'num_attributes={self.num_attributes})')

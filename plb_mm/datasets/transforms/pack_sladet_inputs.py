import numpy as np
import torch
from mmdet.datasets.transforms import PackDetInputs
from mmdet.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackSLADetInputs(PackDetInputs):
    """mmdet's ``PackDetInputs`` plus SLA-Det's regions and attributes
    (docs/sladet.md, "Data contract"):

    - ``data_sample.gt_instances.attributes`` (LongTensor (n, A)) and
      ``ignored_instances.attributes``, split by ``gt_ignore_flags`` as the
      boxes are;
    - ``data_sample.metainfo['labeled_regions']`` (np.float32 (k, 4)) in the
      input image's frame; k = 0: nothing labelled. Absent when the pipeline
      loaded no regions (the head then takes the whole image).

    Raises:
        ValueError: ``gt_attributes`` has another number of rows than
            ``gt_bboxes``: a transform added or dropped boxes without their
            attribute rows (use the ``Region*`` version; ``MixUp`` has none).
    """

    def transform(self, results: dict) -> dict:
        packed = super().transform(results)
        sample = packed['data_samples']
        if 'gt_attributes' in results:
            attributes = np.asarray(results['gt_attributes'], np.int64)
            n = len(results.get('gt_bboxes', ()))
            if len(attributes) != n:
                raise ValueError(
                    f"{results.get('img_path')}: gt_attributes has {len(attributes)} rows "
                    f'for {n} boxes; a transform before PackSLADetInputs added or dropped '
                    f'boxes without their attributes (use its Region* version; MixUp has none)')
            attributes = torch.from_numpy(attributes)
            if 'gt_ignore_flags' in results:
                ignored = torch.from_numpy(np.asarray(results['gt_ignore_flags'], bool))
                sample.gt_instances.attributes = attributes[~ignored]
                sample.ignored_instances.attributes = attributes[ignored]
            else:
                sample.gt_instances.attributes = attributes
        if 'gt_labeled_regions' in results:
            sample.set_metainfo(dict(labeled_regions=np.asarray(
                results['gt_labeled_regions'], np.float32).reshape(-1, 4)))
        return packed

from .voc_xml import PRESETS, VOCFormatError, parse_voc_xml, voc_to_coco

__all__ = ['PRESETS', 'VOCFormatError', 'parse_voc_xml', 'voc_to_coco']

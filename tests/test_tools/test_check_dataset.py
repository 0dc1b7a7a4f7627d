"""tools/misc/check_dataset.py: the dataset checks alone, every problem in one report."""
import json
import shutil

import cv2
import numpy as np

from ..conftest import run_tool, tiny_config

TOOL = 'tools/misc/check_dataset.py'


def test_config_datasets_pass_and_the_second_run_uses_the_cache(tmp_path, synthetic_root):
    cfg = tiny_config(tmp_path / 'tiny.py', synthetic_root)
    env = dict(PLB_MM_CACHE_DIR=str(tmp_path / 'cache'))
    first = run_tool(TOOL, cfg, env=env)
    # train and val (test_dataloader is the val one: reported once)
    assert first.stdout.count('== ') == 2 and first.stdout.count('\nOK') == 2
    assert 'train_dataloader.dataset (SyntheticCellsDataset)' in first.stdout
    assert '8 images (0 without annotations)' in first.stdout
    assert 'image files (header check' in first.stdout and ': 8, 8 opened, 0 known good' in first.stdout
    second = run_tool(TOOL, cfg, '--splits', 'train', env=env)
    assert ': 8, 0 opened, 8 known good from the cache' in second.stdout


def test_bad_annotation_file_lists_every_problem(tmp_path, synthetic_root):
    root = tmp_path / 'cells'
    shutil.copytree(synthetic_root, root)
    ann_file = root / 'annotations/train.json'
    data = json.loads(ann_file.read_text())
    data['images'][3]['id'] = data['images'][2]['id']              # duplicate image id
    data['annotations'][0]['bbox'] = data['annotations'][0]['bbox'][:3]  # 3 numbers
    ann_file.write_text(json.dumps(data))
    jpg = root / data['images'][1]['file_name']
    jpg.write_bytes(jpg.read_bytes()[:1000])                        # truncated
    (root / data['images'][5]['file_name']).unlink()                # missing
    cv2.imwrite(str(root / data['images'][6]['file_name']), np.zeros((10, 20, 3), np.uint8))
    proc = run_tool(TOOL, str(ann_file), '--img-dir', str(root), '--classes', 'RBC', 'WBC',
                    'Leukocyte', env=dict(PLB_MM_CACHE_DIR=str(tmp_path / 'cache')), check=False)
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    assert '7 problem(s):' in out and '7 problem(s) in 1 of 1 data set(s)' in proc.stderr
    assert "images[3] (id 3, 'train/000003.jpg'): duplicate image id 3, also used by " \
        "images[2] (id 3, 'train/000002.jpg')" in out
    n4 = sum(a['image_id'] == 4 for a in data['annotations'])       # image 4 is gone
    assert f': image_id 4 is not the id of any image in the file ({n4} annotations)' in out
    assert "annotations[0] (id 1, image id 1 'train/000000.jpg'): 'bbox' is" in out
    assert "classes ['Leukocyte'] of the config are not defined" in out
    assert "images[1] (id 2, 'train/000001.jpg'): " in out and 'truncated' in out
    assert "images[5] (id 6, 'train/000005.jpg'): image file not found" in out
    assert "images[6] (id 7, 'train/000006.jpg')" in out and 'is 20x10 pixels' in out
    assert all(line.startswith(f'  {ann_file}: ') for line in out.split('problem(s):\n')[1].splitlines())

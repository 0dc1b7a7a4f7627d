"""The sparse-annotation kit's tools, each run once as a user runs it:
mitos2coco.py, ki67_2coco.py, kfold_split.py, sparsify_coco.py."""
import json

from PIL import Image

from ..conftest import run_tool


def _image(path, size=(100, 80)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new('RGB', size, (220, 180, 200)).save(path)


def test_mitos2coco(tmp_path):
    root = tmp_path / 'mitos'
    _image(root / 'A03/frames/x40/A03_00Aa.tiff')
    _image(root / 'A03/frames/x40/A03_00Ab.tiff')
    (root / 'A03/mitosis').mkdir()
    (root / 'A03/mitosis/A03_00Aa_mitosis.csv').write_text('50,40,1\n5,70,1\n')
    (root / 'A03/mitosis/A03_00Aa_not_mitosis.csv').write_text('20,20,0.2\n')
    proc = run_tool('tools/dataset_converters/mitos2coco.py', str(root), '--box-size', '20')
    out = root / 'annotations/mitos_atypia14.json'
    assert proc.stdout.startswith(f'{out}: 2 images, 2 boxes (1 clipped to the image)')
    assert '1 not-mitosis point(s) not converted' in proc.stdout
    assert 'A03/frames/x40/A03_00Ab.tiff' in proc.stdout  # listed: no CSV
    coco = json.loads(out.read_text())
    assert [a['bbox'] for a in coco['annotations']] == [[40, 30, 20, 20], [0, 60, 15, 20]]


def test_ki67_2coco_error_names_file_and_line(tmp_path):
    root = tmp_path / 'ki67'
    _image(root / 'images/a.png')
    (root / 'labels').mkdir()
    (root / 'labels/a.csv').write_text('x,y,class\n50,40,pos\n60,30,neg\n')
    out = tmp_path / 'ki67.json'
    proc = run_tool('tools/dataset_converters/ki67_2coco.py', str(root), '--classes', 'pos',
                    '--out', str(out), check=False)
    assert proc.returncode == 1 and not out.exists()
    assert f"error: {root / 'labels/a.csv'}: line 3: class 'neg' is not one of ['pos']" in \
        proc.stderr


def test_kfold_split_then_sparsify(tmp_path):
    images = [dict(id=i, file_name=f'{i}.png', width=64, height=64) for i in range(1, 9)]
    anns = [dict(id=10 * i + k, image_id=i, category_id=1, bbox=[4 * k, 0, 4, 4], area=16,
                 iscrowd=0) for i in range(1, 9) for k in range(10)]
    src = tmp_path / 'all.json'
    src.write_text(json.dumps(dict(images=images, annotations=anns,
                                   categories=[dict(id=1, name='cell')])))
    proc = run_tool('tools/misc/kfold_split.py', str(src), '--folds', '4', '--seed', '0',
                    '--out-dir', str(tmp_path / 'folds'))
    assert proc.stdout.count('_train.json 6 images, 60 boxes | fold') == 4
    train = tmp_path / 'folds/fold1_train.json'
    test_ids = json.loads((tmp_path / 'folds/fold1_test.json').read_text())['info']['kfold'][
        'test_image_ids']
    assert len(test_ids) == 2
    proc = run_tool('tools/misc/sparsify_coco.py', str(train), '--ratio', '0.3', '--seed', '0',
                    '--dropped-out', str(tmp_path / 'dropped.json'))
    out = tmp_path / 'folds/fold1_train_r0.3_s0.json'
    assert proc.stdout.startswith(f'{out}: kept 18 of 60 annotations (ratio r=0.3, seed 0')
    kept = json.loads(out.read_text())
    dropped = json.loads((tmp_path / 'dropped.json').read_text())
    assert len(kept['annotations']) == 18 and len(dropped['annotations']) == 42
    assert kept['info']['kfold']['fold'] == 1 and kept['info']['sparsify']['ratio'] == 0.3

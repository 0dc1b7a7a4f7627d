"""Layer-level gradient analysis of the BDE paper (Section 5, Figure 8): mean
|dL/dW| per conv layer of the test loss, for several checkpoints side by side.

    python tools/analysis_tools/layer_gradients.py CONFIG CKPT [CKPT ...]
        [--labels A B ...] [--images N] [--out-dir DIR] [--title T] [--device cpu] [--seed 0]

Loads the model of CONFIG at each checkpoint, computes the training loss of
each of the first N images of the config's test set (default: all) one image
at a time, in training mode with BatchNorm frozen and no update, and averages
|dL_i/dW| over the images and the elements of each conv weight (Eqs. 14-16).
Writes DIR/layer_gradients.csv (index, layer, one column per checkpoint) and
DIR/layer_gradients.png (the layers of all checkpoints over the layer index,
log scale, and a row of cells marking which checkpoint has the smallest
gradient per layer), and prints in how many layers each checkpoint has the
smallest gradient, overall and per third of the network. Details:
plb_mm/utils/layer_gradients.py and docs/layer_gradients.md.
"""
import argparse
import os.path as osp
import pickle

from plb_mm.engine.checkpoint import CheckpointCorruptError, CheckpointMismatchError
from plb_mm.utils.layer_gradients import layer_gradients, write_layer_gradients


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoints', nargs='+', metavar='CKPT')
    p.add_argument('--labels', nargs='+', help='one name per checkpoint (default: file names)')
    p.add_argument('--images', type=int, help='the first N test images (default: all)')
    p.add_argument('--out-dir', help='default: work_dirs/layer_gradients/<config name>')
    p.add_argument('--title', help="the plot's title (default: config file name and images)")
    p.add_argument('--device', default='cpu')
    p.add_argument('--seed', type=int, default=0,
                   help='RNG seed of image i is seed + i (the samplers draw the same for '
                   'every checkpoint)')
    args = p.parse_args()
    out_dir = args.out_dir or osp.join('work_dirs', 'layer_gradients',
                                       osp.splitext(osp.basename(args.config))[0])
    try:
        result = layer_gradients(args.config, args.checkpoints, args.labels, args.images,
                                 args.device, args.seed)
    except (ValueError, FileNotFoundError, FloatingPointError, CheckpointCorruptError,
            CheckpointMismatchError, pickle.UnpicklingError) as e:
        raise SystemExit(f'error: {e}')
    csv_path, png_path = write_layer_gradients(
        result, out_dir,
        title=args.title or f'{osp.basename(args.config)}: {result.images} test images')
    for note in result.notes:
        print(f'note: {note}')
    print(result.summary())
    print(f'wrote {csv_path} and {png_path}')


if __name__ == '__main__':
    main()

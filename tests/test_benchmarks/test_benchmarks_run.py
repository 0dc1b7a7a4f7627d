"""The benchmark scripts are not timed tests, but they must keep running as
the code under them changes: each runs once at a tiny size and prints its
table (a refactor once broke weighting_overhead.py without any test noticing)."""
import pytest

from ..conftest import run_tool

TINY_FRCNN = 'configs/plb/faster-rcnn_r18_fpn_tiny_12e_synthetic-cells.py'
TINY_RETINA = 'configs/dcloss/retinanet_r18_fpn_tiny_12e_synthetic-cells.py'


@pytest.mark.parametrize('args, expect', [
    (['benchmarks/weighting_overhead.py', TINY_FRCNN, '--iters', '2', '--batch-size', '1',
      '--scale', '128', '128', '--step-iters', '1'], '| BDE (roi loss) |'),
    (['benchmarks/dense_loss_overhead.py', TINY_RETINA, '--iters', '2', '--batch-size', '1',
      '--scale', '128', '128'], '|'),
    (['benchmarks/nms_speed.py', '--sizes', '200', '--iters', '2'], '|'),
], ids=['weighting_overhead', 'dense_loss_overhead', 'nms_speed'])
def test_benchmark_runs(args, expect):
    proc = run_tool(*args, timeout=300)
    assert expect in proc.stdout

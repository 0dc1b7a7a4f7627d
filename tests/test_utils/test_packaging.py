"""The package declares the stack it needs, and the installed stack meets it."""
from importlib.metadata import requires, version

from packaging.requirements import Requirement


def test_dependencies_are_declared_and_satisfied():
    reqs = [Requirement(r) for r in requires('plb_mm') or []]
    names = {r.name for r in reqs}
    assert {'torch', 'mmengine', 'mmcv', 'mmdet', 'pycocotools', 'wandb'} <= names
    for r in reqs:
        if r.marker is None or r.marker.evaluate():
            installed = version(r.name)
            assert r.specifier.contains(installed, prereleases=True), \
                f'{r.name} {installed} does not satisfy {r}'
    # no torchvision: the CPU machines have no working build of it
    assert 'torchvision' not in names

"""Running a grid: one work dir per (variant, seed) under
``<work_root>/<grid>/<variant>/seed<k>`` (k-fold grids: per (variant, fold,
seed) under ``<variant>/fold<k>/seed<s>``); finished runs are skipped,
interrupted ones resumed, failed ones reported while the rest go on."""
import copy
import json
import math
import os
import os.path as osp
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

from mmengine.config import Config

from ..engine import work_dir_holder
from ..engine.hooks import read_run_metrics
from .spec import GridSpec, Run

STATUS_FILE = 'grid_status.json'
LOG_FILE = 'grid_run.log'
# Lines of a run's output echoed as progress.
PROGRESS = re.compile(r'Epoch\((train|val)\)|Iter\((train|val)\)|Final validation|Test of|'
                      r'Error|error:|Traceback')
_LOOP = re.compile(r'(Epoch|Iter)\((train|val|test)\)\s*(?:\[\s*(\d+)\])?\s*\[\s*(\d+)/(\d+)\]')
_FIELD = re.compile(r'\b(eta|loss|[\w/]*bbox_mAP(?:_50|_s|_m|_l)?):\s*(\S+)')
_SHORT = {'bbox_mAP': 'mAP', 'bbox_mAP_50': 'AP50', 'bbox_mAP_s': 'AP_s', 'bbox_mAP_m': 'AP_m',
          'bbox_mAP_l': 'AP_l'}


def progress_line(line: str) -> Optional[str]:
    """A short, readable form of a training log line for the grid's console
    (None for lines that are not progress): ``epoch 2 [10/40] loss 1.234 eta
    0:01:23`` for training, ``val epoch 2: mAP 45.1 AP50 ... AP_s ...`` for a
    finished validation; errors and the final table lines are kept (their
    beginning, at most 200 characters)."""
    line = line.rstrip()
    m = _LOOP.search(line)
    if m is None:
        return line[:200] if PROGRESS.search(line) else None
    kind, phase, epoch, i, n = m.groups()
    fields = dict(_FIELD.findall(line[m.end():]))
    where = f'epoch {epoch} ' if epoch else ('iter ' if kind == 'Iter' else '')
    prefix = '' if phase == 'train' else f'{phase} '
    aps = [(short, fields[k]) for k in fields for suffix, short in _SHORT.items()
           if k == suffix or k.endswith('/' + suffix)]
    if aps:
        nums = ' '.join(f'{short} {100 * float(v):.1f}' for short, v in aps)
        return f'{prefix}{where.rstrip()}: {nums}'.replace(' :', ':')
    parts = [f'{prefix}{where}[{i}/{n}]']
    if 'loss' in fields:
        parts.append(f'loss {fields["loss"]}')
    if 'eta' in fields:
        parts.append(f'eta {fields["eta"]}')
    return ' '.join(parts)


def read_status(work_dir: str) -> Dict:
    path = osp.join(work_dir, STATUS_FILE)
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)


def _write_status(work_dir: str, **fields) -> None:
    os.makedirs(work_dir, exist_ok=True)
    data = read_status(work_dir)
    data.update(fields)
    with open(osp.join(work_dir, STATUS_FILE), 'w') as f:
        json.dump(data, f, indent=1)


def last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint mmengine's CheckpointHook saved last in ``work_dir``."""
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        ckpt = f.read().strip()
    return ckpt if osp.isfile(ckpt) else None


def _completed(run: Run) -> bool:
    """Training finished (metrics.json says so), or the evaluation wrote its
    test metrics."""
    metrics = read_run_metrics(run.work_dir) or {}
    if run.variant.test_of is None:
        return metrics.get('status') == 'finished'
    return 'test' in metrics


def run_state(run: Run) -> str:
    """``finished``, ``failed``, ``interrupted`` (has a checkpoint) or ``pending``."""
    status = read_status(run.work_dir).get('status')
    if _completed(run) and status != 'failed' and (run.variant.test_of is None
                                                    or status == 'finished'):
        return 'finished'
    if status == 'failed':
        return 'failed'
    if run.variant.test_of is None and last_checkpoint(run.work_dir):
        return 'interrupted'
    return 'pending'


@dataclass
class Launch:
    """How runs are launched: ``local`` (this machine, one process), ``dist``
    (tools/dist_train.sh with ``gpus`` processes) or ``slurm`` (one sbatch
    script per run, printed or submitted)."""
    mode: str = 'local'
    gpus: int = 1
    partition: Optional[str] = None
    gpus_per_node: int = 8
    cpus_per_task: int = 5
    submit: bool = False
    python: str = sys.executable
    wandb: bool = False


def _variant_config(spec: GridSpec, run: Run) -> str:
    """The config file a run uses: the variant's own, or (with overrides) a
    standalone dump of it with ``cfg_options`` merged. The dump is made anew
    for every run and rewritten (atomically) when it differs from the file
    there, so an edited grid or base config is never run from a stale dump."""
    v = run.variant
    if not v.cfg_options:
        return v.config
    path = osp.join(spec.root, v.name, 'config.py')
    cfg = Config.fromfile(v.config)
    cfg.merge_from_dict(copy.deepcopy(v.cfg_options))  # mmengine pops `_delete_` keys
    text = cfg.pretty_text
    if osp.isfile(path):
        with open(path) as f:
            if f.read() == text:
                return path
    os.makedirs(osp.dirname(path), exist_ok=True)
    tmp = f'{path}.{os.getpid()}.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)
    return path


def command(spec: GridSpec, run: Run, launch: Launch, resume: bool = False) -> List[str]:
    """The tools/ command line of a run (train, or test for evaluation-only
    variants), without the launcher around it. A fold's options follow the
    seed in ``--cfg-options`` (merged after the variant's own)."""
    cfg = _variant_config(spec, run)
    opts = ['--cfg-options', f'randomness.seed={run.seed}'] + \
        [f'{k}={v}' for k, v in run.fold_options.items()]
    fold = '' if run.fold is None else f'fold{run.fold}'
    slurm = ['--launcher', 'slurm'] if launch.mode == 'slurm' else []
    if run.variant.test_of is None:
        cmd = ['tools/train.py', cfg, '--work-dir', run.work_dir] + slurm + opts
        if resume:
            cmd.append('--resume')
        if launch.wandb or spec.wandb:
            cmd += ['--wandb', '--wandb-group', spec.name,
                    '--wandb-name', '/'.join(p for p in (spec.name, run.variant.name, fold,
                                                         f'seed{run.seed}') if p),
                    '--wandb-tags', run.variant.name] + ([fold] if fold else []) + \
                [f'seed{run.seed}']
            if spec.wandb.get('project'):
                cmd += ['--wandb-project', spec.wandb['project']]
        return cmd
    src = spec.source_run(run).work_dir
    ckpt = last_checkpoint(src) or osp.join(src, '<last checkpoint>')
    return ['tools/test.py', cfg, ckpt, '--work-dir', run.work_dir] + slurm + opts


def launcher_command(spec: GridSpec, run: Run, launch: Launch, resume: bool = False) -> List[str]:
    cmd = command(spec, run, launch, resume)
    if launch.mode == 'local':
        return [launch.python] + cmd
    if launch.mode == 'dist':
        script = 'tools/dist_train.sh' if run.variant.test_of is None else 'tools/dist_test.sh'
        if run.variant.test_of is None:
            return ['bash', script, cmd[1], str(launch.gpus)] + cmd[2:]
        return ['bash', script, cmd[1], cmd[2], str(launch.gpus)] + cmd[3:]
    raise ValueError(f'launch mode {launch.mode!r} has no single command (slurm: see slurm_script)')


def slurm_script(spec: GridSpec, run: Run, launch: Launch, resume: bool = False) -> str:
    """An sbatch script for one run: ``launch.gpus`` tasks of one GPU each,
    spread over nodes of ``launch.gpus_per_node`` GPUs."""
    if not launch.partition:
        raise ValueError('slurm mode needs a partition (--partition)')
    per_node = min(launch.gpus, launch.gpus_per_node)
    nodes = math.ceil(launch.gpus / launch.gpus_per_node)
    fold = '' if run.fold is None else f'-f{run.fold}'
    job = f'{spec.name}-{run.variant.name}{fold}-s{run.seed}'
    parts = [shlex.quote(c) for c in command(spec, run, launch, resume)]
    if run.variant.test_of is not None:
        # the source run may still be queued: read its checkpoint when the job starts
        src = spec.source_run(run).work_dir
        parts[2] = f'"$(cat {shlex.quote(src)}/last_checkpoint)"'
    cmd = ' '.join(parts)
    return '\n'.join([
        '#!/usr/bin/env bash',
        f'#SBATCH --job-name={job}',
        f'#SBATCH --partition={launch.partition}',
        f'#SBATCH --nodes={nodes}',
        f'#SBATCH --ntasks={launch.gpus}',
        f'#SBATCH --ntasks-per-node={per_node}',
        f'#SBATCH --gres=gpu:{per_node}',
        f'#SBATCH --cpus-per-task={launch.cpus_per_task}',
        f'#SBATCH --output={run.work_dir}/slurm-%j.out',
        f'srun {launch.python} -u {cmd}',
        ''])


def _fmt(seconds: float) -> str:
    seconds = int(seconds)
    return f'{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}'


def run_grid(spec: GridSpec, launch: Launch = Launch(), dry_run: bool = False,
             echo: bool = True, log: Callable[[str], None] = print,
             only: Optional[List[str]] = None) -> Dict[str, str]:
    """Run every (variant, seed) of ``spec`` in turn (k-fold grids: every
    (variant, fold, seed)); see the module doc.

    ``only`` restricts the run to these variants (the others are left as
    they are; ``collect`` still reports every variant).

    SIGINT/SIGTERM stop the running child (forwarded to its process group),
    mark that run ``interrupted`` (a rerun resumes it) and raise
    :class:`GridInterrupted`; a run whose work dir another training holds is
    skipped as ``busy``.

    Returns:
        dict: run label -> outcome (``skipped``, ``finished``, ``failed``,
        ``waiting`` for an evaluation whose source has not finished, ``busy``
        when another training holds the run's work dir,
        ``submitted``/``printed`` in slurm mode, ``planned`` when dry).
    """
    runs = spec.runs()
    if only:
        unknown = sorted(set(only) - set(spec.variants))
        if unknown:
            raise ValueError(f'{spec.source}: no variant(s) {unknown}; the grid has '
                             f'{list(spec.variants)}')
        runs = [r for r in runs if r.variant.name in only]
    todo = [r for r in runs if run_state(r) != 'finished']
    n_var = len({r.variant.name for r in runs}) if only else len(spec.variants)
    folds = '' if spec.folds is None else f'{len(spec.folds)} folds x '
    log(f'[grid {spec.name}] {len(runs)} runs ({n_var} variants x {folds}'
        f'{len(spec.seeds)} seeds), {len(runs) - len(todo)} already finished; '
        f'work dirs under {spec.root}')
    outcome: Dict[str, str] = {}
    durations: Dict[bool, List[float]] = {True: [], False: []}  # is_test -> seconds
    slurm_jobs: Dict[str, str] = {}
    t_start = time.time()
    remaining = list(todo)
    for i, run in enumerate(runs, 1):
        state = run_state(run)
        if state == 'finished':
            outcome[run.label] = 'skipped'
            continue
        remaining.remove(run)
        is_test = run.variant.test_of is not None
        if is_test and launch.mode != 'slurm' and not dry_run:
            src = spec.source_run(run)  # also when `only` leaves it out
            if run_state(src) != 'finished':
                log(f'[grid {spec.name}] ({i}/{len(runs)}) {run.label}: waiting, its source '
                    f'{src.label} has not finished')
                outcome[run.label] = 'waiting'
                continue
        resume = state in ('interrupted', 'failed') and not is_test and \
            last_checkpoint(run.work_dir) is not None
        if launch.mode == 'slurm':
            outcome[run.label] = _slurm(spec, run, launch, resume, slurm_jobs, log)
            continue
        holder = None if dry_run else work_dir_holder(run.work_dir)
        if holder:
            log(f'[grid {spec.name}] ({i}/{len(runs)}) {run.label}: busy, another training '
                f'runs in {run.work_dir} ({holder}); skipped')
            outcome[run.label] = 'busy'
            continue
        cmd = launcher_command(spec, run, launch, resume)
        elapsed = time.time() - t_start
        eta = _eta([run] + remaining, durations)
        log(f'[grid {spec.name}] ({i}/{len(runs)}) {run.label}: '
            f'{"resume" if resume else "test" if is_test else "train"} | elapsed {_fmt(elapsed)}'
            f' | left ~{_fmt(eta) if eta is not None else "?"}\n  $ {" ".join(cmd)}')
        if dry_run:
            outcome[run.label] = 'planned'
            continue
        t0 = time.time()
        _write_status(run.work_dir, status='running', command=cmd,
                      started=time.strftime('%Y-%m-%d %H:%M:%S'))
        rc, stopped_by = _execute(cmd, run, echo, log)
        dt = time.time() - t0
        durations[is_test].append(dt)
        if stopped_by is not None:
            _write_status(run.work_dir, status='interrupted', returncode=rc, seconds=round(dt, 1))
            log(f'[grid {spec.name}] stopped by {signal.Signals(stopped_by).name} during '
                f'{run.label} (its training ended first); rerun the grid to resume')
            raise GridInterrupted(stopped_by)
        if rc == 0 and _completed(run):
            _write_status(run.work_dir, status='finished', returncode=0, seconds=round(dt, 1))
            outcome[run.label] = 'finished'
        else:
            _write_status(run.work_dir, status='failed', returncode=rc, seconds=round(dt, 1))
            outcome[run.label] = 'failed'
            log(f'[grid {spec.name}] {run.label} FAILED (exit {rc}); its log: '
                f'{osp.join(run.work_dir, LOG_FILE)}; going on')
    log(f'[grid {spec.name}] done in {_fmt(time.time() - t_start)}: ' + ', '.join(
        f'{sum(v == k for v in outcome.values())} {k}' for k in sorted(set(outcome.values()))))
    return outcome


def _eta(runs: List[Run], durations: Dict[bool, List[float]]) -> Optional[float]:
    """Seconds left for ``runs``: the mean duration of finished runs of the
    same kind (training / evaluation), or of the other kind, else unknown."""
    total = 0.0
    for run in runs:
        known = durations[run.variant.test_of is not None] or \
            durations[run.variant.test_of is None]
        if not known:
            return None
        total += sum(known) / len(known)
    return total


class GridInterrupted(Exception):
    """The grid got SIGINT/SIGTERM; its running child was stopped first."""

    def __init__(self, signum: int):
        super().__init__(f'grid stopped by signal {signum}')
        self.signum = signum


def _die_with_parent() -> None:
    """In the child, before exec (Linux): get SIGTERM when the grid process
    dies, even by SIGKILL, so that no training outlives its grid."""
    try:
        import ctypes
        ctypes.CDLL('libc.so.6', use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - not Linux: forwarding below still applies
        pass


def _execute(cmd: List[str], run: Run, echo: bool, log):
    """Run ``cmd``, appending its output to the run's ``grid_run.log`` and
    echoing its progress. SIGINT/SIGTERM sent to the grid are forwarded to the
    child, which is then waited for. Returns ``(returncode, signal or None)``."""
    os.makedirs(run.work_dir, exist_ok=True)
    stopped_by = []
    with open(osp.join(run.work_dir, LOG_FILE), 'a') as f:
        f.write(f'\n===== {time.strftime("%Y-%m-%d %H:%M:%S")} $ {" ".join(cmd)}\n')
        f.flush()
        # The child leads its own process group, so that a signal reaches every
        # process of a run (dist_train.sh -> torchrun -> workers) once.
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                bufsize=1, start_new_session=True, preexec_fn=_die_with_parent)

        def forward(signum, frame):
            stopped_by.append(signum)
            try:
                os.killpg(proc.pid, signum)
            except ProcessLookupError:
                pass

        main = threading.current_thread() is threading.main_thread()
        old = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)} if main \
            else {}
        try:
            for line in proc.stdout:
                f.write(line)
                f.flush()  # so that `tail -f grid_run.log` follows the run
                short = progress_line(line) if echo else None
                if short:
                    log(f'  [{run.label}] {short}')
            rc = proc.wait()
        finally:
            for s, h in old.items():
                signal.signal(s, h)
        return rc, (stopped_by[0] if stopped_by else None)


def _slurm(spec, run, launch, resume, jobs: Dict[str, str], log) -> str:
    os.makedirs(run.work_dir, exist_ok=True)
    script = osp.join(run.work_dir, 'slurm_job.sh')
    with open(script, 'w') as f:
        f.write(slurm_script(spec, run, launch, resume))
    dep = []
    if run.variant.test_of is not None:
        src = jobs.get(spec.source_run(run).label)
        if src:
            dep = [f'--dependency=afterok:{src}']
    cmd = ['sbatch'] + dep + [script]
    if not launch.submit:
        log(' '.join(cmd))
        return 'printed'
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        log(f'[grid {spec.name}] sbatch failed for {run.label}: {out.stderr.strip()}')
        return 'failed'
    m = re.search(r'(\d+)', out.stdout)
    if m:
        jobs[run.label] = m.group(1)
    log(f'[grid {spec.name}] {run.label}: {out.stdout.strip()}')
    return 'submitted'

"""FIDMetric under real DDP: two gloo processes gather to the single-process answer."""
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import torch

from tests.test_evaluation.test_fid import _evaluate, _metric

REPO = Path(__file__).resolve().parents[2]

WORKER = '''
import json, sys
import torch
import torch.distributed as dist
from vitok_mm.evaluation import FIDMetric

dist.init_process_group('gloo')
rank, world = dist.get_rank(), dist.get_world_size()
data = torch.load(sys.argv[1])
pred, gt = data['pred'], data['gt']
metric = FIDMetric(inception_weights=sys.argv[2])
# DistributedSampler's split: rank r takes samples r, r + world, ...
for i in range(rank, len(pred), world):
    metric.process(None, [dict(pred=pred[i].float() / 127.5 - 1, gt=gt[i].float() / 127.5 - 1,
                               sample_idx=i)])
result = metric.evaluate(len(pred))
if rank == 0:
    with open(sys.argv[3], 'w') as f:
        json.dump(result, f)
dist.destroy_process_group()
'''


def test_two_processes_give_the_single_process_answer(tmp_path, inception_file, photo_views,
                                                      degraded):
    single = _evaluate(_metric(inception_file), degraded, photo_views, batch=1)
    data = tmp_path / 'data.pth'
    torch.save(dict(pred=degraded, gt=photo_views), data)
    script = tmp_path / 'worker.py'
    script.write_text(textwrap.dedent(WORKER))
    out = tmp_path / 'result.json'
    result = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2',
         str(script), str(data), inception_file, str(out)],
        capture_output=True, text=True, timeout=300, cwd=str(REPO),
        env={**__import__('os').environ, 'PYTHONPATH': str(REPO)})
    assert result.returncode == 0, result.stderr[-3000:]
    gathered = json.loads(out.read_text())
    # Summation order differs; see test_statistics_gathered_from_processes_equal_one_process.
    assert abs(gathered['recon/rfid'] - single['recon/rfid']) <= 1e-4 * single['recon/rfid']
    # Logits are put back in dataset order, so the IS splits match one process's.
    assert abs(gathered['recon/ris'] - single['recon/ris']) <= 1e-6 * single['recon/ris']

"""The video quick start end to end, shrunk to a few iterations of a tiny model."""
import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[2]


def test_video_quickstart_trains_scores_held_out_clips_and_writes_a_gif(tmp_path):
    work, data = tmp_path / 'work', tmp_path / 'data'
    result = subprocess.run(
        ['bash', str(REPO / 'tools/quickstart.sh'), 'video', '--work-dir', str(work),
         '--data', str(data), '--cfg-options', 'train_cfg.max_iters=3',
         'model.encoder.width=32', 'model.encoder.num_heads=1', 'model.encoder.depth=1',
         'model.decoder.width=32', 'model.decoder.num_heads=1', 'model.decoder.depth=1',
         'train_dataloader.batch_size=2'],
        cwd=str(REPO), capture_output=True, text=True, timeout=300,
        env={**os.environ, 'VITOK_VENV': str(Path(sys.executable).parents[1])})
    assert result.returncode == 0, result.stderr[-3000:]
    # The bundled clips as a tiny UCF-101: the last segment of each clip held out.
    lists = data / 'ucfTrainTestlist'
    test_list = (lists / 'testlist01.txt').read_text().split()
    assert test_list == ['Bikes/v_Bikes_g07_c01.avi', 'Carphone/v_Carphone_g03_c01.avi',
                         'BigBuckBunny/v_BigBuckBunny_g04_c01.avi']
    train_list = (lists / 'trainlist01.txt').read_text()
    assert not set(test_list) & set(train_list.split())
    summary = json.loads((work / 'summary.json').read_text())['stage1']
    assert summary['iters'] == 3 and summary['seconds'] > 0
    assert 5 < summary['psnr'] < 60 and 0 < summary['ssim'] < 1
    assert summary['held_out'] == [Path(p).name for p in test_list]
    assert (work / 'stage1' / 'last_checkpoint').read_text().strip().endswith('iter_3.pth')
    gif = Image.open(work / 'reconstructions.gif')
    assert gif.n_frames == 16
    assert gif.size == (3 * 64 * 2, 3 * 64 * 2)  # 3 clips; inputs, recons, errors; zoom 2
    assert 'held-out clips: 3 x 16 frames' in result.stdout

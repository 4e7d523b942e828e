# Kinetics-700 clips, 16 frames at 128x128 (the paper trains its video tokenizers on
# Kinetics-700). Expected layout (README, "Preparing data"):
#   data/kinetics700/annotations/{train,validate}.csv
#   data/kinetics700/{train,val}/<label>/<youtube_id>_<start:06d>_<end:06d>.mp4
# Absent clips (YouTube takedowns) are skipped at start-up and counted in the log.
_base_ = ['./video_128p_16f.py']

data_root = 'data/kinetics700'
train_dataloader = dict(
    dataset=dict(type='Kinetics', data_root=data_root, ann_file='annotations/train.csv',
                 data_prefix='train', bad_sample='skip', pipeline={{_base_.train_pipeline}}),
)
val_dataloader = dict(
    dataset=dict(type='Kinetics', data_root=data_root, ann_file='annotations/validate.csv',
                 data_prefix='val', pipeline={{_base_.test_pipeline}}, indices=1024,
                 test_mode=True),
)
test_dataloader = dict(
    dataset=dict(type='Kinetics', data_root=data_root, ann_file='annotations/validate.csv',
                 data_prefix='val', pipeline={{_base_.test_pipeline}}, test_mode=True),
)
val_evaluator = [
    dict(type='ReconstructionMetric'),
    dict(type='LPIPSMetric'),
    dict(type='FVDMetric', reference_cache='work_dirs/fvd_stats/k700_val_128p_1024.pth'),
]
test_evaluator = [
    dict(type='ReconstructionMetric'),
    dict(type='LPIPSMetric'),
    dict(type='FIDMetric', reference_cache='work_dirs/fid_stats/k700_val_128p_frames.pth'),
    dict(type='FVDMetric', reference_cache='work_dirs/fvd_stats/k700_val_128p.pth'),
]

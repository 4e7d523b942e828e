# UCF-101 clips, 16 frames at 128x128 (the paper's Table 5 setting). Expected layout
# (README, "Preparing data"):
#   data/ucf101/UCF-101/<Class>/v_*.avi
#   data/ucf101/ucfTrainTestlist/{classInd,trainlist01,testlist01}.txt
# Clip sampling, views and batch sizes: video_128p_16f.py.
_base_ = ['./video_128p_16f.py']

data_root = 'data/ucf101'
train_dataloader = dict(
    dataset=dict(type='UCF101', data_root=data_root, split=1, subset='train',
                 bad_sample='skip', pipeline={{_base_.train_pipeline}}),
)
val_dataloader = dict(
    dataset=dict(type='UCF101', data_root=data_root, split=1, subset='test',
                 pipeline={{_base_.test_pipeline}}, indices=1024, test_mode=True),
)
test_dataloader = dict(
    dataset=dict(type='UCF101', data_root=data_root, split=1, subset='test',
                 pipeline={{_base_.test_pipeline}}, test_mode=True),
)
# PSNR/SSIM per frame always; LPIPS (VGG16), rFID over frames (InceptionV3) and rFVD
# (I3D, i3d_torchscript.pt) when their weights are in the torch hub cache.
val_evaluator = [
    dict(type='ReconstructionMetric'),
    dict(type='LPIPSMetric'),
    dict(type='FVDMetric', reference_cache='work_dirs/fvd_stats/ucf101_test1_128p_1024.pth'),
]
test_evaluator = [
    dict(type='ReconstructionMetric'),
    dict(type='LPIPSMetric'),
    dict(type='FIDMetric', reference_cache='work_dirs/fid_stats/ucf101_test1_128p_frames.pth'),
    dict(type='FVDMetric', reference_cache='work_dirs/fvd_stats/ucf101_test1_128p.pth'),
]

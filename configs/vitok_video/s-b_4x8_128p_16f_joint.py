# ViTok S-B/4x8 trained on video and images together: UCF-101 clips and ImageNet images
# as still 16-frame clips (ImageToVideo), drawn 3:1, in the same batches.
_base_ = ['./s-b_4x8_128p_16f.py']

image_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomResizedCrop', size=128, scale=(0.8, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ImageToVideo', num_frames=16),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(
    _delete_=True,
    type='WeightedMixDataset',
    datasets=[
        dict(type='UCF101', data_root='data/ucf101', split=1, subset='train',
             bad_sample='skip', pipeline={{_base_.train_pipeline}}),
        dict(type='ImageNet', data_root='data/imagenet', split='train', bad_sample='skip',
             pipeline=image_pipeline),
    ],
    weights=[3, 1],
))

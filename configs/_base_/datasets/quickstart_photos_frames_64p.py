# The image quick start's data with real video frames as training images: the bundled
# photos (data/samples/train) and frames of the bundled clips not held out
# (data/samples/frames, see vitok_mm.workflows.samples.build_frame_folder), drawn half and half.
# Evaluation is unchanged: the held-out photos (data/samples/val).
_base_ = ['./quickstart_photos_64p.py']

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='WeightedMixDataset',
        datasets=[
            dict(type='ImageDataset', data_root={{_base_.data_root}}, data_prefix='train',
                 name='quickstart photos', cache_images=True,
                 pipeline={{_base_.train_pipeline}}),
            dict(type='ImageDataset', data_root={{_base_.data_root}}, data_prefix='frames',
                 name='quickstart frames', cache_images=True,
                 pipeline={{_base_.train_pipeline}}),
        ],
        weights=[1, 1]))

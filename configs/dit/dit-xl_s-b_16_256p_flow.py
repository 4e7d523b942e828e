# DiT-XL on S-B/16 256p latents trained with flow matching (velocity eps - x, logit-normal
# times, as SiT/SD3) instead of epsilon diffusion; sampled with Heun-50. 674.82 M parameters
# (no learned variance). Not in the paper: the modern objective, same network.
_base_ = ['./dit-xl_s-b_16_256p.py']

model = dict(
    diffusion=dict(_delete_=True, type='FlowMatching', time_sampling='logit_normal'),
    solver=dict(type='Heun', num_steps=50),
)

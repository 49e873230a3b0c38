"""The plain-torch image encoder: shapes, gradients, GroupNorm only, and the training-only crops and colour jitter."""

import pytest
import torch
from demoforge.train.policies.vision_encoder import ImageEncoder, ImageEncoderConfig, crop, jitter_colour
from torch import nn

SMALL = ImageEncoderConfig(widths=(8, 16), group_size=4, keypoints=6, features=10, max_shift=2)


def _frames(*lead: int, size: int = 24, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (*lead, 3, size, size), generator=g, dtype=torch.uint8)


def test_any_leading_axes_map_to_one_feature_vector_per_frame():
    encoder = ImageEncoder(SMALL, (3, 24, 24))
    assert encoder(_frames(5)).shape == (5, 10)
    assert encoder(_frames(4, 2)).shape == (4, 2, 10)  # (B, n_obs, C, H, W) → (B, n_obs, features)
    with pytest.raises(ValueError, match=r"built for \(3, 24, 24\).*got \(3, 32, 32\)"):
        encoder(_frames(2, size=32))


def test_gradients_reach_every_parameter():
    encoder = ImageEncoder(SMALL, (3, 24, 24))
    encoder(_frames(6), torch.Generator().manual_seed(0)).square().sum().backward()
    for name, p in encoder.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_groupnorm_not_batchnorm_and_resnet18_layout_on_request():
    encoder = ImageEncoder(ImageEncoderConfig(), (3, 84, 84))
    kinds = {type(m) for m in encoder.modules()}
    assert nn.GroupNorm in kinds and not any(issubclass(k, nn.modules.batchnorm._BatchNorm) for k in kinds)
    resnet18 = ImageEncoder(ImageEncoderConfig(widths=(64, 128, 256, 512), blocks_per_stage=2), (3, 84, 84))
    convs = [m for m in resnet18.backbone.modules() if isinstance(m, nn.Conv2d) and m.kernel_size != (1, 1)]
    assert len(convs) == 17  # ResNet-18's 17 convolutions (stem + 8 blocks × 2) before its pooling head
    assert 11_000_000 < sum(p.numel() for p in resnet18.backbone.parameters()) < 11_300_000  # ResNet-18: 11.2 M


def test_training_crops_at_seeded_random_offsets_and_evaluation_at_the_centre():
    frames = _frames(64, size=12)
    centre = crop(frames, 8, 8)
    assert torch.equal(centre, frames[:, :, 2:10, 2:10])
    a = crop(frames, 8, 8, random=True, generator=torch.Generator().manual_seed(1))
    b = crop(frames, 8, 8, random=True, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b)  # seeded: a resumed run repeats its crops
    offsets = set()
    for i in range(len(frames)):  # every crop is an 8×8 window of its own frame
        hits = [(t, c) for t in range(5) for c in range(5) if torch.equal(a[i], frames[i, :, t : t + 8, c : c + 8])]
        assert hits
        offsets.add(hits[0])
    assert len(offsets) > 5  # each frame its own offset

    encoder = ImageEncoder(SMALL, (3, 24, 24))
    x = _frames(8)
    encoder.eval()
    assert torch.equal(encoder(x, torch.Generator().manual_seed(0)), encoder(x, torch.Generator().manual_seed(5)))
    encoder.train()
    assert not torch.equal(encoder(x, torch.Generator().manual_seed(0)), encoder(x, torch.Generator().manual_seed(5)))


def test_colour_jitter_gives_each_frame_its_own_seeded_look_and_keeps_pixels_in_range():
    x = torch.rand(32, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    config = ImageEncoderConfig()
    before = x.clone()
    a = jitter_colour(x, config, torch.Generator().manual_seed(3))
    assert torch.equal(x, before)  # works in place on its own copy, never on the caller's frames
    assert torch.equal(a, jitter_colour(x, config, torch.Generator().manual_seed(3)))  # resume repeats it
    assert a.min() >= 0 and a.max() <= 1
    assert not torch.allclose(a, x, atol=0.01)
    # each frame its own draw: the ratio of mean brightness jittered/original differs across frames
    ratios = a.mean((1, 2, 3)) / x.mean((1, 2, 3))
    assert ratios.std() > 0.05
    # every factor zero is the identity; the channel gain alone tints: channels scale unequally
    off = ImageEncoderConfig(brightness=0, contrast=0, saturation=0, channel_gain=0)
    assert torch.allclose(jitter_colour(x, off, torch.Generator().manual_seed(3)), x, atol=1e-6)
    grey = torch.full((4, 3, 8, 8), 0.5)
    tinted = jitter_colour(grey, ImageEncoderConfig(brightness=0, contrast=0, saturation=0, channel_gain=0.2))
    assert (tinted.amax((2, 3)) - tinted.amin((2, 3))).abs().max() < 1e-6  # uniform within a channel
    assert (tinted[:, 0, 0, 0] - tinted[:, 1, 0, 0]).abs().max() > 0.01


def test_evaluation_sees_frames_unjittered_and_training_jittered():
    encoder = ImageEncoder(
        ImageEncoderConfig(widths=(8,), group_size=4, keypoints=4, features=6, max_shift=0), (3, 24, 24)
    )
    x = _frames(8)
    cropless = ImageEncoder(
        ImageEncoderConfig(
            widths=(8,),
            group_size=4,
            keypoints=4,
            features=6,
            max_shift=0,
            brightness=0,
            contrast=0,
            saturation=0,
            channel_gain=0,
        ),
        (3, 24, 24),
    )
    cropless.load_state_dict(encoder.state_dict())
    encoder.eval(), cropless.eval()
    assert torch.equal(encoder(x), cropless(x))
    encoder.train(), cropless.train()
    g = torch.Generator().manual_seed
    assert torch.equal(cropless(x, g(0)), cropless(x, g(1)))  # nothing random left without jitter
    assert not torch.equal(encoder(x, g(0)), encoder(x, g(1)))


def test_config_checks_and_json_round_trip():
    from dataclasses import asdict

    assert ImageEncoderConfig.from_dict(asdict(SMALL)) == SMALL
    assert ImageEncoderConfig.from_dict({"widths": [4, 8]}).widths == (4, 8)  # JSON lists back to tuples
    with pytest.raises(ValueError, match="no field 'width'"):
        ImageEncoderConfig.from_dict({"width": [4]})
    with pytest.raises(ValueError, match="max_shift=10 leaves less than 16 px"):
        ImageEncoder(ImageEncoderConfig(max_shift=10), (3, 32, 32))
    with pytest.raises(ValueError, match="saturation=1.5: expected in"):
        ImageEncoderConfig(saturation=1.5)
    assert ImageEncoderConfig.from_dict({"max_shift": 4}).brightness == 0.3  # older checkpoints: today's defaults

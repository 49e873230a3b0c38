"""Image-space augmentation: identity by default, each term acts, deterministic given a seed."""

import numpy as np
import pytest
from demoforge.augment.domain.image_aug import ImageJitter, augment_frames, draw_image_jitter
from demoforge.augment.domain.profiles import ImageSpec


def _frames(n: int = 2) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(40, 215, (n, 24, 24, 3), dtype=np.uint8)


def test_the_default_jitter_and_a_disabled_section_are_the_identity():
    frames = _frames()
    assert augment_frames(frames, ImageJitter()) is frames
    assert draw_image_jitter(ImageSpec(brightness=0.5), np.random.default_rng(0)) == ImageJitter()


@pytest.mark.parametrize(
    "jitter",
    [
        ImageJitter(brightness=0.1),
        ImageJitter(contrast=0.5),
        ImageJitter(saturation=0.0),
        ImageJitter(gain=(1.2, 1.0, 0.8)),
        ImageJitter(blur_sigma=1.0),
        ImageJitter(noise_std=5.0),
    ],
)
def test_each_term_changes_the_frames_and_keeps_shape_and_dtype(jitter):
    frames = _frames()
    out = augment_frames(frames, jitter, np.random.default_rng(1))
    assert out.shape == frames.shape and out.dtype == np.uint8
    assert np.abs(out.astype(int) - frames).mean() > 1.0


def test_blur_smooths_and_zero_saturation_is_grey():
    frames = _frames(1)
    blurred = augment_frames(frames, ImageJitter(blur_sigma=1.5))
    assert (
        np.abs(np.diff(blurred.astype(int), axis=1)).mean() < 0.5 * np.abs(np.diff(frames.astype(int), axis=1)).mean()
    )
    grey = augment_frames(frames, ImageJitter(saturation=0.0)).astype(int)
    assert np.abs(grey[..., 0] - grey[..., 1]).max() <= 1 and np.abs(grey[..., 1] - grey[..., 2]).max() <= 1


def test_draws_stay_in_range_and_noise_needs_an_rng():
    spec = ImageSpec(
        enabled=True,
        brightness=0.1,
        contrast=0.2,
        saturation=0.3,
        color_gain=0.1,
        blur_prob=1.0,
        blur_sigma_px=2.0,
        noise_std=3.0,
    )
    j = draw_image_jitter(spec, np.random.default_rng(4))
    assert abs(j.brightness) <= 0.1 and 0.8 <= j.contrast <= 1.2 and 1.0 <= j.blur_sigma <= 2.0
    assert j == draw_image_jitter(spec, np.random.default_rng(4))
    with pytest.raises(ValueError, match="noise_std"):
        augment_frames(_frames(), j)

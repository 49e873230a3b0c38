"""Domain profiles: named, versioned TOML files validated by a typed schema.

A profile says which randomization families are on and over what ranges. A range `[lo, hi]` with
lo == hi is a fixed shift, which is how the `target` profile (our stand-in for the real world)
is written. Scale factors multiply the nominal model value; "log" ranges are drawn log-uniformly
(the OpenAI in-hand convention for damping and gains).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from ...envs import ConfigError, UnknownNameError, validation_summary
from ...envs.textures import TEXTURE_NAMES

BUILTIN_DIR = Path(__file__).parent / "profiles"


# Every number of a profile lies within ± this: far past any physical value used, and small
# enough that hi − lo of a range stays finite (±1e308 overflowed numpy's uniform draw).
MAX_PROFILE_VALUE = 1e6
# Blur sigma in px: a sigma past the image's side flattens it anyway, and the kernel's cost grows
# with sigma (20000 px took minutes a frame).
MAX_BLUR_SIGMA_PX = 50.0
# Reset ranges wider than this many times their own put objects beyond the arm's reach on every task.
MAX_RESET_WIDEN = 4.0


def _ordered(r: tuple[float, float]) -> tuple[float, float]:
    if r[0] > r[1]:
        raise ValueError(f"range [{r[0]}, {r[1]}] has lo > hi")
    if max(abs(r[0]), abs(r[1])) > MAX_PROFILE_VALUE:
        raise ValueError(f"range [{r[0]}, {r[1]}] reaches past ±{MAX_PROFILE_VALUE:g}")
    return r


def _positive(r: tuple[float, float]) -> tuple[float, float]:
    _ordered(r)
    if r[0] <= 0:
        raise ValueError(f"scale range [{r[0]}, {r[1]}] must be > 0")
    return r


Range = Annotated[tuple[float, float], AfterValidator(_ordered)]
Scale = Annotated[tuple[float, float], AfterValidator(_positive)]
IntRange = Annotated[tuple[int, int], AfterValidator(_ordered)]
Prob = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0, le=MAX_PROFILE_VALUE)]


def _texture_name(name: str | None) -> str | None:
    if name is not None and name not in TEXTURE_NAMES:
        raise ValueError(f"unknown texture {name!r}; the scene's bank has: {', '.join(TEXTURE_NAMES)}")
    return name


TextureName = Annotated[str | None, AfterValidator(_texture_name)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    enabled: bool = False


class PhysicsSpec(_Section):
    friction_scale: Scale = (1.0, 1.0)  # × sliding and torsional friction of objects, fixtures, table, pads
    object_mass_scale: Scale = (1.0, 1.0)  # × mass and inertia of free objects
    joint_damping_scale: Scale = (1.0, 1.0)  # × arm joint damping, log-uniform
    joint_armature_scale: Scale = (1.0, 1.0)  # × arm joint armature, log-uniform
    actuator_gain_scale: Scale = (1.0, 1.0)  # × arm servo kp and kv together, log-uniform
    gravity_tilt_deg: Range = (0.0, 0.0)  # tilt of the gravity vector, degrees
    gravity_azimuth_deg: Range = (0.0, 360.0)  # direction of that tilt, degrees from world x


class VisualSpec(_Section):
    colors: bool = False  # random rgba for objects, fixtures, table and robot links
    # Whether the task's objects take part in `colors` and `textures`. False keeps each object's own
    # colour (under any light), which is how the task names it — Stack's red cube on the green one;
    # with random colours only their size tells them apart. The draws are made either way, so the
    # physics stream (and every state a dataset records) does not depend on this field.
    object_colors: bool = True
    light_pos_jitter: NonNeg = 0.0  # m, uniform per axis
    light_intensity_scale: Scale = (1.0, 1.0)  # × diffuse
    light_off_prob: Prob = 0.0  # chance the fill light is off (the key light stays on)
    camera_pos_offset: tuple[float, float, float] = (0.0, 0.0, 0.0)  # m, a fixed shift of all fixed cameras
    camera_pitch_offset_deg: float = 0.0  # degrees, a fixed tilt of all fixed cameras about their x axis
    camera_pos_jitter: NonNeg = 0.0  # m, uniform per axis, all fixed cameras
    camera_rot_jitter_deg: NonNeg = 0.0  # degrees about a random axis
    fovy_jitter_deg: NonNeg = 0.0  # degrees, uniform
    # The fields below draw from the wrapper's look stream, never from the physics stream above,
    # so turning them on or off leaves every physics draw and state observation unchanged.
    textures: bool = False  # a random bank texture on the table, the floor, each object and the robot
    table_texture: TextureName = None  # a fixed bank texture on the table (overrides `textures` there)
    floor_texture: TextureName = None  # a fixed bank texture on the floor, the background behind the table
    spare_lights: IntRange = (0, 0)  # how many of the scene's spare lights switch on (light count)
    light_dir_jitter_deg: NonNeg = 0.0  # degrees, every light's direction about a random axis
    light_color_jitter: NonNeg = 0.0  # × U[1 - x, 1 + x] per channel of every light's and the headlight's diffuse
    light_tint: tuple[NonNeg, NonNeg, NonNeg] = (
        1.0,
        1.0,
        1.0,
    )  # fixed × per channel, lights and headlight (warm: blue < 1)
    light_ambient: Range = (0.0, 0.0)  # grey ambient added to every light (nominal 0)
    headlight_scale: Scale = (1.0, 1.0)  # × the camera headlight's diffuse and ambient (the scene's base fill)
    # How many of the scene's distractor objects (envs/textures.py) stand on the table beside the
    # workspace, each with a random place, yaw, colour and bank texture. They never collide.
    distractors: IntRange = (0, 0)


class ImageSpec(_Section):
    """Image-space augmentation of camera observations (augment/image_aug.py), the cheap stand-in
    for a generative world model. Colour and blur are drawn once per episode, noise per frame."""

    brightness: NonNeg = 0.0  # ± fraction of full scale, added
    contrast: NonNeg = 0.0  # × U[1 - x, 1 + x] about the frame's mean
    saturation: NonNeg = 0.0  # × U[1 - x, 1 + x] of the distance from grey
    color_gain: NonNeg = 0.0  # × U[1 - x, 1 + x] per channel (white balance)
    blur_prob: Prob = 0.0  # chance an episode's frames are blurred
    blur_sigma_px: Annotated[float, Field(ge=0.0, le=MAX_BLUR_SIGMA_PX)] = (
        0.0  # px, Gaussian blur sigma drawn in [this / 2, this] when blurred
    )
    noise_std: NonNeg = 0.0  # Gaussian pixel noise in 0-255 units, fresh every frame


class SensorSpec(_Section):
    proprio_noise_std: NonNeg = 0.0  # Gaussian, on joint_pos, joint_vel, eef_pos, gripper_qpos (rad, rad/s, m)
    object_pose_noise_std: NonNeg = 0.0  # Gaussian, on object_pos and object_to_eef (m), object_quat
    frozen_obs_prob: Prob = 0.0  # chance per step that the observation repeats the previous one


class ActionSpec(_Section):
    latency_steps: IntRange = (0, 0)  # control steps between a policy's action and its effect
    noise_std: NonNeg = 0.0  # Gaussian, action units, on the motion entries of the control mode (envs/control.py)
    gripper_force_scale: Scale = (1.0, 1.0)  # × finger force limit and gain


class SceneSpec(_Section):
    object_xy_jitter: NonNeg = 0.0  # m, extra uniform offset of free objects after task placement
    object_yaw_jitter_deg: NonNeg = 0.0  # degrees, extra uniform yaw of free objects
    object_size_scale: Scale = (1.0, 1.0)  # × every dimension of free objects (keep near 1 for PegInsert)
    # × the width of every reset range of the task about its centre (object and fixture x, y, yaw):
    # MimicGen's D1/D2, a wider distribution than the source demos cover (envs/reset_widen.py)
    reset_widen: Annotated[float, Field(gt=0.0, le=MAX_RESET_WIDEN)] = 1.0


class Profile(BaseModel):
    """A named, versioned domain: which randomization families are on and their ranges."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    name: str
    version: int = Field(ge=1)
    description: str = ""
    physics: PhysicsSpec = PhysicsSpec()
    visual: VisualSpec = VisualSpec()
    image: ImageSpec = ImageSpec()
    sensor: SensorSpec = SensorSpec()
    action: ActionSpec = ActionSpec()
    scene: SceneSpec = SceneSpec()


def read_toml(path: Path, what: str) -> dict:
    """Parse a TOML file; a missing file or a syntax error is one line naming `what` and the path."""
    if not path.is_file():
        raise FileNotFoundError(f"{what} file {path} not found")
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} {path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what} {path}: not valid TOML: {exc}") from None


def builtin_profiles() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))


def _one_line(exc: ValidationError, source: str) -> str:
    return f"profile {source}: {validation_summary(exc)}"


def load_profile(name_or_path: str | Path) -> Profile:
    """A built-in profile by name (`nominal`, `randomized`, `target`) or a TOML file by path.

    Raises UnknownNameError for an unknown name, ConfigError (one line, naming the file and the
    key) for a file that does not parse or validate, FileNotFoundError for a missing path.
    """
    text_path = Path(name_or_path)
    if text_path.suffix != ".toml":
        if str(name_or_path) not in builtin_profiles():
            raise UnknownNameError(
                f"unknown profile {str(name_or_path)!r}; built-in: {', '.join(builtin_profiles())} "
                "(or pass a path to a .toml file)"
            )
        text_path = BUILTIN_DIR / f"{name_or_path}.toml"
    data = read_toml(text_path, "profile")
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_one_line(exc, str(text_path))) from None


def check_new_profile_path(path: str | Path) -> Path:
    """A path `save_profile` may write: a .toml file that does not exist yet."""
    path = Path(path)
    if path.suffix != ".toml":
        raise ConfigError(f"profile file {path}: expected a .toml path")
    if path.exists():
        raise ConfigError(f"profile file {path}: already exists; write the profile to a new file")
    return path


def save_profile(profile: Profile, path: str | Path) -> Path:
    """Write `profile` as a TOML file `load_profile` reads back to the same profile. `path` must not
    exist yet (nothing is overwritten); the file appears whole or not at all."""
    import tomli_w

    path = check_new_profile_path(path)
    data = profile.model_dump(mode="json", exclude_none=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(tomli_w.dumps(data))
    tmp.replace(path)
    return path

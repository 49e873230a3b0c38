"""demoforge: multiply a few robot demonstrations into many in randomized MuJoCo simulation.

Subpackages, data flowing one way: `demoforge.envs` (scenes, tasks, experts) →
`demoforge.augment` (randomization, datasets, generation) → `demoforge.train` (policies, CLI).
"""

from .envs import EnvConfig, ManipulationEnv, make_env

__version__ = "0.1.0"
__all__ = ["EnvConfig", "ManipulationEnv", "make_env", "__version__"]

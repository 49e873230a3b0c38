"""`python -m lerobot_env_demoforge.eval <lerobot-eval flags>`: lerobot-eval for lerobot 0.4–0.5.

Those versions' `register_third_party_plugins` imports `lerobot_policy_*`, `lerobot_robot_*`, ...
but not `lerobot_env_*` distributions (0.6 added them), so `--env.type=demoforge` is unknown to
their `lerobot-eval`. This registers the config first, then runs lerobot's own eval, unchanged.
"""

from __future__ import annotations

from . import configuration_demoforge  # noqa: F401  registers --env.type=demoforge


def main() -> None:
    from lerobot.scripts.lerobot_eval import main as lerobot_eval

    lerobot_eval()


if __name__ == "__main__":
    main()

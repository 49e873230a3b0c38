"""`FileTask`: a task whose objects, reset, signals and success come from a `TaskSpec` (a task file).

Each file gets its own subclass (`file_task_class`), whose class attributes (`name`, `description`,
`objects`, `subtasks`, `symmetry`, `max_episode_steps`) are what the registry and the callers of
`TASKS[name].task` read, as for a built-in task. Such a class is made at run time, so pickle could
not find it by name in a worker process: `FileTaskType` makes it pickle as "the class of this
spec", rebuilt in the worker from the spec it carries (`copyreg`), without the file.
"""

from __future__ import annotations

import copyreg

import numpy as np

from .geometry import yaw_quat
from .mjcf_body import joint_value, set_joint_value
from .predicates import evaluate
from .scene import TABLE_TOP_Z
from .task import Subtask, Task
from .task_layout import sample_layout
from .task_spec import TaskSpec
from .task_xml import assets_xml, bodies_xml


class FileTaskType(type):
    """The metaclass of file tasks: only so that their classes pickle by spec (see the module)."""


class FileTask(Task, metaclass=FileTaskType):
    """A task read from a file; `spec` (its default config) is set on each file's subclass."""

    spec: TaskSpec

    def __init__(self, config: TaskSpec | None = None):
        self.config = config or self.spec
        self.max_episode_steps = self.config.max_episode_steps
        self._bodies = {b.name: b for b in self.config.bodies}
        self._extents = {n: self.config.extents(n) for n in self.config.object_names}

    @classmethod
    def default_config(cls) -> TaskSpec:
        return cls.spec

    def objects_xml(self) -> str:
        return bodies_xml(self.config)

    def assets_xml(self) -> str:
        return assets_xml(self.config)

    def bind(self, sim) -> None:
        super().bind(sim)
        self._ids = dict(zip(self.objects, self.object_bodies))
        self._joints = {j.name: sim.model.joint(j.name).id for j in self.config.joints}

    def sample_reset(self, rng: np.random.Generator) -> None:
        for name, p in sample_layout(self.config.bodies, rng, self.config.path).items():
            place = self.set_mocap_pose if self._bodies[name].fixed else self.set_free_pose
            place(name, p.pos, yaw_quat(p.yaw))
        for joint in self.config.joints:  # after the layout: a task without joints draws as before
            set_joint_value(self.sim.model, self.sim.data, self._joints[joint.name], rng.uniform(*joint.init))

    def signals(self) -> dict[str, bool]:
        out = {s.signal: evaluate(s.until, self) for s in self.config.stages if s.until is not None}
        out.update((name, evaluate(p, self)) for name, p in self.config.signals)
        return out

    def is_success(self) -> bool:
        return evaluate(self.config.success, self)

    def dense_reward(self) -> float:
        """Staged: 1 at success, else 0.9 × the share of subtask signals that hold now."""
        if self.is_success():
            return 1.0
        ends = [s.until for s in self.config.stages if s.until is not None]
        return 0.9 * sum(evaluate(p, self) for p in ends) / len(ends) if ends else 0.0

    # The predicates' view of the scene (predicates.Scene) ------------------------------------

    def position(self, obj: str) -> np.ndarray:
        return self.sim.body_pos(self._ids[obj])

    def rotation(self, obj: str) -> np.ndarray:
        return self.sim.body_rot(self._ids[obj])

    def bottom(self, obj: str) -> float:
        return float(self.position(obj)[2] - self._extents[obj].bottom)

    def top(self, obj: str) -> float:
        return float(self.position(obj)[2] + self._extents[obj].top)

    def footprint(self, obj: str) -> tuple[float, float]:
        return self._extents[obj].footprint

    def symmetry_of(self, obj: str) -> int:
        return self._extents[obj].symmetry

    def joint_value(self, joint: str) -> float:
        return joint_value(self.sim.model, self.sim.data, self._joints[joint])

    def grasped(self, obj: str) -> bool:
        return self.sim.grasping(self.object_geoms[obj])

    def touching(self, a: str, b: str) -> bool:
        return self.sim.touching(self.object_geoms[a], self.object_geoms[b])

    def table_z(self) -> float:
        return TABLE_TOP_Z


_CLASSES: dict[TaskSpec, type[FileTask]] = {}


def file_task_class(spec: TaskSpec) -> type[FileTask]:
    """The FileTask subclass of `spec` (the same class for an equal spec)."""
    cls = _CLASSES.get(spec)
    if cls is None:
        attrs = {
            "__module__": __name__,
            "__qualname__": spec.name,
            "__doc__": f"{spec.instruction} (task file {spec.path})",
            "spec": spec,
            "origin": f"task file {spec.path}",
            "name": spec.name,
            "description": spec.instruction,
            "objects": spec.object_names,
            "subtasks": tuple(Subtask(s.signal, s.object, grasp=_is_grasp(s)) for s in spec.stages),
            "symmetry": {n: spec.extents(n).symmetry for n in spec.object_names},
            "max_episode_steps": spec.max_episode_steps,
        }
        cls = _CLASSES[spec] = FileTaskType(spec.name, (FileTask,), attrs)
    return cls


def _is_grasp(stage) -> bool:
    """A stage ends by grasping its object when its signal is exactly grasped(<its object>)."""
    until = stage.until
    return getattr(until, "name", None) == "grasped" and until.args == (stage.object,)


def _reduce_class(cls: FileTaskType):
    if cls is FileTask:
        return "FileTask"  # the base pickles by name, as any class
    return file_task_class, (cls.spec,)


copyreg.pickle(FileTaskType, _reduce_class)

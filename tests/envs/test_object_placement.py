"""`ObjectPlacer` reads a hinged lid's angle back from where its link was seen."""

import mujoco
import numpy as np
import pytest
from demoforge.envs.object_placement import ObjectPlacer

BOX_WITH_LID = """
<mujoco><worldbody>
  <body name="box" mocap="true" pos="0.3 0 0.1"><geom type="box" size=".1 .1 .05"/>
    <body name="lid" pos="-0.1 0 0.05"><joint name="hinge" type="hinge" axis="0 1 0" range="-90 0"/>
      <geom type="box" pos="0.1 0 0.005" size=".1 .1 .005"/>
      <body name="knob" pos="0.18 0 0.02"><geom type="sphere" size=".01"/></body>
    </body>
  </body>
  <body name="ball" pos="0 0.5 0.1"><freejoint/><geom type="sphere" size=".02"/></body>
</worldbody></mujoco>"""


@pytest.mark.parametrize("angle", [0.0, -0.4, -1.2])
def test_the_lid_angle_box_pose_and_free_ball_come_back_from_their_observed_poses(angle):
    model = mujoco.MjModel.from_xml_string(BOX_WITH_LID)
    seen = mujoco.MjData(model)
    seen.mocap_pos[0], seen.mocap_quat[0] = [0.4, 0.1, 0.12], [np.cos(0.2), 0, 0, np.sin(0.2)]
    seen.qpos[0] = angle
    seen.qpos[1:4] = [0.1, 0.6, 0.3]
    mujoco.mj_kinematics(model, seen)
    bodies = [model.body(n).id for n in ("ball", "box", "lid", "knob")]

    data = mujoco.MjData(model)  # everything at its defaults: closed lid, box at the model's pose
    ObjectPlacer(model, bodies).place(data, seen.xpos[bodies], seen.xquat[bodies])
    assert data.qpos[0] == pytest.approx(angle, abs=1e-6)
    np.testing.assert_allclose(data.xpos[bodies], seen.xpos[bodies], atol=1e-7)

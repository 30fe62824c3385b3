"""panda3d-simplepbr, adapted to scenario colours: the ``high`` quality tier's shading.

simplepbr (BSD-3-Clause, by the Panda3D community) is used rather than a hand-written PBR
shader: it already does metal-roughness shading after the glTF reference viewer, shadow
maps of directional lights, a filmic tone map into the window, MSAA and fog. A few lines of
its fragment shader are changed, by text substitution on its own source (so an update of
simplepbr keeps its fixes, and a change that breaks a substitution fails loudly here):

* vertex colours, colour scales, base colour textures and fog colours are authored as they
  look on screen (sRGB, the fixed-function habit): converted to linear light first;
* ``vrex_unlit`` (1 on the sky and ``lit: false`` entities) draws the colour unshaded;
* fog is 0.6 of its density: mixed in linear light it looks thicker than the same density
  mixed on screen values (the low tier), and the author set it by eye there;
* emission glows in the surface's own colour (``emission`` × base colour).
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

_SUBSTITUTIONS = (
    (
        "uniform vec4 p3d_ColorScale;",
        "uniform vec4 p3d_ColorScale;\nuniform float vrex_unlit;",
    ),
    (
        "    vec3 diffuse_color = (base_color.rgb",
        "    base_color.rgb = pow(max(base_color.rgb, vec3(0.0)), vec3(2.2));\n"
        "    if (vrex_unlit > 0.5) {\n"
        "#ifdef USE_330\n        o_color = base_color;\n#else\n        gl_FragColor = base_color;\n#endif\n"
        "        return;\n    }\n"
        "    vec3 diffuse_color = (base_color.rgb",
    ),
    (
        "    vec3 emission = vec3(0.0);",
        "    vec3 emission = p3d_Material.emission.rgb;",
    ),
    (  # mixed in linear light, fog of the authored density reads twice as thick as on the low tier
        "fog_distance * p3d_Fog.density",
        "fog_distance * p3d_Fog.density * 0.6",
    ),
    (
        "    color = mix(p3d_Fog.color, color, fog_factor);",
        "    color = mix(vec4(pow(p3d_Fog.color.rgb, vec3(2.2)), p3d_Fog.color.a), color, fog_factor);",
    ),
)
FRAGMENT = "vrex-pbr.frag"


def _register_fragment() -> None:
    from simplepbr.shaders import shaders

    if FRAGMENT in shaders:
        return
    source = shaders["simplepbr.frag"]
    for old, new in _SUBSTITUTIONS:
        if old not in source:
            raise RuntimeError(f"simplepbr's fragment shader changed: cannot find {old.strip()!r}")
        source = source.replace(old, new, 1)
    shaders[FRAGMENT] = source


def make_pipeline(
    base: Any, render: Any, window: Any, camera: Any, msaa: int, fog: bool, lights: int, software: bool
) -> Any:
    """A simplepbr pipeline drawing ``render`` through ``camera`` into ``window``, shading
    ``lights`` lights (ambient ones aside). On llvmpipe (Mesa 22, LLVM 15) the shader with
    shadows and more than one light crashes LLVM's optimiser (a segmentation fault while
    compiling): there only the first light is shaded."""
    import simplepbr
    from panda3d.core import ShaderAttrib
    from simplepbr import _shaderutils

    _register_fragment()

    class Pipeline(simplepbr.Pipeline):
        def _recompile_pbr(self) -> None:
            super()._recompile_pbr()  # sets every input; the shader is replaced below
            defines = {
                "MAX_LIGHTS": self.max_lights,
                "USE_NORMAL_MAP": self.use_normal_maps,
                "USE_EMISSION_MAP": self.use_emission_maps,
                "ENABLE_SHADOWS": self.enable_shadows,
                "ENABLE_FOG": self.enable_fog,
                "USE_OCCLUSION_MAP": self.use_occlusion_maps,
                "USE_330": self.use_330,
                "IS_WEBGL": self._is_webgl,
                "ENABLE_SKINNING": self.enable_hardware_skinning,
                "CALC_NORMAL_Z": self.calculate_normalmap_blue,
            }
            shader = _shaderutils.make_shader("vrex-pbr", "simplepbr.vert", FRAGMENT, defines)
            attrib = self.render_node.getAttrib(ShaderAttrib.getClassType())  # keeps simplepbr's inputs
            self.render_node.setAttrib(attrib.setShader(shader))
            self.render_node.setShaderInput("vrex_unlit", 0.0)

    kwargs = dict(
        render_node=render,
        window=window,
        camera_node=camera,
        taskmgr=base.taskMgr,
        max_lights=1 if software else min(8, max(1, lights)),
        use_emission_maps=False,
        enable_shadows=True,
        enable_fog=fog,
        exposure=0.0,  # the filmic curve gives authored colours under a full light about their look at low
        enable_hardware_skinning=False,  # no skinned models in scenarios
    )
    try:
        return Pipeline(msaa_samples=msaa, **kwargs)
    except RuntimeError as exc:  # the buffer refused multisampling: the same without
        if not msaa:
            raise
        log.info("simplepbr with %d× MSAA failed (%s); without", msaa, exc)
        return Pipeline(msaa_samples=0, **kwargs)

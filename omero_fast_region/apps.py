"""Django app config for omero_fast_region."""

import sys

from django.apps import AppConfig


class FastRegionConfig(AppConfig):
    name = "omero_fast_region"
    label = "omero_fast_region"
    verbose_name = "OMERO fast region rendering"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from django.core.signals import setting_changed

        from .config import reset_config
        from .malloc_tuning import raise_mmap_threshold
        from .pixels.codec_threads import decode_chunks_in_caller
        from .runtime import reset_runtime
        from .sessions import READER, SESSION_SETTINGS
        from .wsgi_front import install

        raise_mmap_threshold()  # every worker that loads the app, standalone or inside OMERO.web
        decode_chunks_in_caller()
        install()  # OMERO.web's get_wsgi_application() then returns its handler in the hosted front

        def _on_setting_changed(setting: str, **kwargs) -> None:
            lane = sys.modules.get("omero_fast_region.tile_lane")  # imported with the views, not here
            if lane is not None:
                lane.forget_settings()
            ours = setting == "FAST_REGION" or setting.startswith("FAST_REGION_")
            if ours:
                reset_config()
                reset_runtime()
            if ours or setting in SESSION_SETTINGS:
                READER.reset()

        setting_changed.connect(_on_setting_changed, weak=False)

"""``service.memo.IdentityMemo`` and its two uses on the tile path: the applied rendering settings
and the ETag's settings text are the same as computed afresh, and computed once per instance pair."""

from __future__ import annotations

import gc
import hashlib
import threading

from omero_fast_region.config import Config
from omero_fast_region.query import apply_query, parse_render_query
from omero_fast_region.render.model import ChannelSettings, RenderSettings
from omero_fast_region.service import memo, region, rendered
from omero_fast_region.service.memo import IdentityMemo


class Calls:
    def __init__(self, fn):
        self.fn, self.args = fn, []

    def __call__(self, *args):
        self.args.append(args)
        return self.fn(*args)


def test_the_same_instances_are_computed_once_and_equal_ones_afresh():
    calls = Calls(lambda a, b: (a, b, len(a) + len(b)))
    remembered = IdentityMemo(calls)
    a, b = [1, 2], {"x": 1}  # unhashable: a value-keyed cache could not hold them
    assert remembered(a, b) is remembered(a, b)
    assert len(calls.args) == 1
    assert remembered([1, 2], {"x": 1}) == remembered(a, b)  # equal, not the same: computed again
    assert len(calls.args) == 2


def test_an_entry_keeps_its_arguments_so_an_id_is_never_answered_for_another_object():
    remembered = IdentityMemo(lambda obj: obj["name"], maxsize=4)
    for name in ("first", "second", "third"):
        obj = {"name": name}
        assert remembered(obj) == name
        del obj
        gc.collect()
    assert len(remembered) == 3


def test_at_most_maxsize_entries_are_kept_oldest_out_first():
    calls = Calls(lambda obj: obj[0])
    remembered = IdentityMemo(calls, maxsize=3)
    objs = [[i] for i in range(5)]
    for obj in objs:
        remembered(obj)
    assert len(remembered) == 3
    remembered(objs[4])
    remembered(objs[0])
    assert [args[0][0] for args in calls.args] == [0, 1, 2, 3, 4, 0]


def test_threads_get_the_right_answers():
    remembered = IdentityMemo(lambda obj: obj[0] * 2, maxsize=8)
    objs = [[i] for i in range(32)]
    wrong = []

    def work():
        for _ in range(200):
            for obj in objs:
                if remembered(obj) != obj[0] * 2:
                    wrong.append(obj)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == [] and len(remembered) <= 8


SAVED = RenderSettings(model="rgb", channels=(
    ChannelSettings(window=(0.0, 4095.0), rgba=(255, 0, 0, 255)),
    ChannelSettings(window=(10.0, 3000.0), rgba=(0, 255, 0, 255), family="exponential", coefficient=2.0),
    ChannelSettings(active=False, window=(5.0, 500.0), rgba=(0, 0, 255, 255)),
))
TILE_KEYS = {"c": "1|100:2000$FF0000,-2|0:3000$00FF00,3|0:400$0000FF", "m": "c", "q": "0.9",
             "maps": '[{"inverted":{"enabled":false}},{"inverted":{"enabled":true}},{"reverse":{"enabled":false}}]'}


class Described:
    """What ``rendering_settings`` reads of a descriptor."""

    class rendering:  # noqa: N801 - an attribute namespace
        settings = SAVED


def test_a_viewer_s_tiles_apply_their_query_once(monkeypatch):
    calls = Calls(apply_query)
    monkeypatch.setattr(region, "_applied", IdentityMemo(calls))
    query = parse_render_query(TILE_KEYS)
    assert parse_render_query(dict(TILE_KEYS)) is query  # the parse is shared: one instance per combination
    first = region.rendering_settings(Described, query, Config())
    for _ in range(5):
        assert region.rendering_settings(Described, parse_render_query(TILE_KEYS), Config()) is first
    assert len(calls.args) == 1
    assert first == apply_query(SAVED, query)
    assert [ch.active for ch in first.channels] == [True, False, True]


def test_the_etag_is_the_sha1_of_the_parts_repr_whether_remembered_or_not():
    query = parse_render_query(TILE_KEYS)
    settings = apply_query(SAVED, query)
    for parts in [("", 7, 3, settings, 0, 0, (1, 2), None, "jpeg", 0.9, False, False),
                  ("thumbnail", "scope", 7, 3, settings, 0, 0, 96, 72), (settings,), (), ("a",)]:
        expected = '"' + hashlib.sha1(repr(parts).encode()).hexdigest() + '"'
        assert rendered.strong_etag(*parts) == expected
        assert rendered.strong_etag(*parts) == expected  # the settings' text now remembered
    other = apply_query(SAVED, parse_render_query({**TILE_KEYS, "q": "0.8", "m": "g"}))
    assert rendered.strong_etag("", 7, 3, other) != rendered.strong_etag("", 7, 3, settings)


def test_the_module_default_is_bounded():
    assert region._applied.maxsize == memo.DEFAULT_ENTRIES
    assert rendered._settings_repr.maxsize == memo.DEFAULT_ENTRIES

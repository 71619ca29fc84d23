#!/usr/bin/env python
"""A small fake OMERO server for testing omero-py client code over real Ice.

It speaks ZeroC Ice 3.6 on loopback and looks, to an unmodified
``omero.client`` / ``omero.gateway.BlitzGateway`` / ``omeroweb.connector``,
like a Glacier2-fronted OMERO server:

* ``OMERO.Glacier2/router`` on an SSL endpoint (``port``, like 4064, with a
  throw-away self-signed certificate; omero-py sets ``IceSSL.VerifyPeer=0``)
  and on a TCP endpoint (``tcp_port``, like 4063, announced through the
  ``omero.router.insecure`` config value so ``secure=False`` clients work).
  The router's ``getClientProxy``/``getServerProxy`` point back at the same
  object adapter, so "routed" calls reach the servants in this process
  directly.
* ``createSession(uuid, uuid)`` (what ``joinSession`` sends) for sessions in
  the fixture, and ``createSession(user, password)`` for fixture users with a
  ``password``.
* ServiceFactory: get{Query,Container,Admin,Config,Session,Types,Script}Service,
  createRenderingEngine, createRawPixelsStore, createThumbnailStore,
  security contexts, keepAlive/keepAllAlive, setCallback, detach/closeOnDestroy,
  destroy.  IContainer has only getImages (Image roots, loaded with pixels and
  pixelsType as OMERO does).  ITypes has allEnumerations (Family,
  RenderingModel); IScript answers getScripts/getScriptsByMimetype with no
  scripts (so no LUT files).  RawPixelsStore and ThumbnailStore accept their
  set-up and metadata calls (setPixelsId, getByteWidth, isSigned, isFloat,
  resolution levels, tile size; setRenderingDefId, resetDefaults, close) but
  every call that reads or renders pixels raises "not implemented".  The other
  services (metadata, update, ...) raise ``omero.ApiUsageException("fake
  OMERO: ... not implemented")``.
* IQuery: findAllByQuery, findByQuery, projection, get, find, findAll, served by
  a deliberately tiny HQL evaluator (see ``Hql``) over a graph of real
  ``omero.model`` objects built from the fixture.  Results are strict like
  OMERO's (``strict=True``, the default): a returned object is loaded, but
  every link and collection that the query did not ``join fetch`` comes back
  unloaded -- an id-only proxy (``isLoaded()`` False, getters raise
  ``UnloadedEntityException``) or an unloaded collection (``sizeOfX()`` -1,
  ``copyX()`` raises ``UnloadedEntityException``) -- including
  ``details.owner/group/creationEvent/externalInfo`` and enumerations such as
  ``pixelsType``; ``details.permissions`` is always set.  ``get``/``find``/
  ``findAll`` fetch nothing.  ``strict=False`` (``--loose``) returns the whole
  loaded graph instead, which real servers never do.  HQL subset:

  - ``[select [distinct] items] from Entity [as] a`` where Entity is any
    omero.model class (subclasses match, so ``from Shape`` finds Masks);
  - ``[left [outer]|inner] join [fetch] a.path [as] b`` (collections expand to
    rows, inner joins drop rows without a target);
  - ``where`` with ``and``-ed conditions of the form ``path = :p``,
    ``path in (:p)``, ``path = <number or 'string'>``, ``path is [not] null``;
  - select items: aliases, paths (``lc.emissionWave.value``), ``index(x)``,
    ``count(...)`` (alone);
  - ``order by`` is ignored (fixture order), ``theFilter`` offset/limit/ownerId/
    groupId are honoured.
  Anything else (``or``, sub-queries, ``exists``, functions, ``like``...)
  raises ApiUsageException, so a test never gets a silently wrong answer.
* Permissions, per call context like OMERO: ``omero.group=-1`` -> every group
  the user is a member of (admins: all groups); ``omero.group=<id>`` -> that
  group (SecurityViolation if not a member and not admin); no key -> the
  session's current group.  In a private (``rw----``) group only the owner,
  group leaders and admins see an object.  Only the query's root objects are
  filtered; objects reachable from them (e.g. ``fileset.images``) are not.
* IAdmin: getEventContext, getSecurityRoles, getExperimenter, getGroup,
  getMemberOfGroupIds, getLeaderOfGroupIds, containedGroups, lookupExperimenter,
  getCurrentAdminPrivileges / getAdminPrivileges.
* IConfig: getVersion, getConfigValue, getConfigValues, getConfigDefaults,
  getClientConfigValues, getClientConfigDefaults, getServerTime, getDatabaseUuid.
* RenderingEngine (metadata only, so ``ImageWrapper.getChannels()`` gets
  colours/windows/LUTs/families/inversion): lookupPixels, lookupRenderingDef,
  loadRenderingDef, load, getPixels, getRenderingDefId, getRGBA, isActive,
  getChannelWindowStart/End, getChannelFamily, getChannelCurveCoefficient,
  getChannelNoiseReduction, getChannelLookupTable, getCodomainMapContext,
  getDefaultZ/T, getModel, getQuantumDef, getPixelsTypeLower/UpperBound,
  isPixelsTypeSigned, set{ChannelWindow,Active,RGBA,DefaultZ,DefaultT} (kept
  in the engine only, never saved), getCompressionLevel/setCompressionLevel,
  close; and what the webgateway render views call before rendering:
  getResolutionLevels/Descriptions, get/setResolutionLevel, getTileSize,
  requiresPixelsPyramid (from the fixture's optional pixels ``resolutions``
  [[sizeX, sizeY], ...] full resolution first, and ``tileSize`` [w, h]),
  getAvailableFamilies/Models, setModel, setQuantizationMap,
  setQuantumStrategy, setCodomainInterval, setChannelLookupTable,
  add/removeCodomainMapFromChannel, updateCodomainMap (state only).  It
  cannot render (render*, getHistogram raise "not implemented"): no pixel
  data exists.

Sessions: fixture sessions plus those made by password logins live until
``ISession.closeSession`` -- which ``BlitzGateway.close()`` (hard=True) calls,
as with a real server -- unless ``keep_sessions=True``, or until
``kill_session(uuid)`` (what OMERO does when a session expires: joins are
refused and calls on its services raise ObjectNotExistException).  Like
Glacier2, a session is bound to the client connection that created it: calls
on any other connection raise ObjectNotExistException.  ``stop()`` is the
server going down (every connection cut, ports refusing), ``start()`` brings
it back on the same ports with the sessions kept.  ``ControlServer`` offers
these to other processes over HTTP on loopback.

Not supported: pixel data (RawPixelsStore reads, render*, thumbnails), writes
(IUpdate, saving settings), IContainer/IMetadata/annotations, callbacks from
the server (the client callback is accepted and never called), idle
expiry (use ``kill_session``) and reference counting, HQL beyond the subset above.  The
RenderingEngine and IAdmin answers are not made strict.

Every dispatched call is appended to ``server.calls`` and every HQL query to
``server.queries`` (dicts with service/op/query/params/ctx/session), and both
are echoed as JSON lines to ``log_file`` if given, each line with its time
``t`` (Unix seconds) added.

Use in-process (Ice dispatches in its own threads)::

    with FakeOmeroServer(fixture) as srv:
        conn = BlitzGateway(host="127.0.0.1", port=srv.port)
        conn.connect(sUuid="...")

or from the command line::

    python fake_omero_server.py --port 4064 --tcp-port 4063 \
        --fixture example_fixture.json --max-seconds 600
"""

import argparse
import copy
import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid as uuidlib

import Ice
import Glacier2
import omero
import omero.clients  # noqa: F401  (loads the omero.api Slice modules)
import omero.model
import omero.sys
import omero_api_IAdmin_ice  # noqa: F401
import omero_api_IConfig_ice  # noqa: F401
import omero_api_IContainer_ice  # noqa: F401
import omero_api_IQuery_ice  # noqa: F401
import omero_api_ISession_ice  # noqa: F401
import omero_api_RenderingEngine_ice  # noqa: F401
import omero_api_IScript_ice  # noqa: F401
import omero_api_RawPixelsStore_ice  # noqa: F401
import omero_api_ITypes_ice  # noqa: F401
import omero_api_ThumbnailStore_ice  # noqa: F401
from omero import ObjectFactoryRegistrar
from omero.model.enums import UnitsLength
from omero.rtypes import (rbool, rdouble, rint, rlong, robject, rstring,
                          rtime, unwrap)

__all__ = ["FakeOmeroServer", "ControlServer", "control", "load_fixture",
           "build_model"]

VERSION = "5.6.0-fake"
DEFAULT_CONFIG = {
    "omero.pixeldata.max_tile_length": "1024",
    "omero.pixeldata.max_plane_width": "3192",
    "omero.pixeldata.max_plane_height": "3192",
    "omero.client.ui.tree.type_order": "tag,project,dataset,screen,plate",
    "omero.db.uuid": "00000000-0000-0000-0000-fake0mer0000",
}
NOTHING = object()  # returned by implementations of void AMD operations


# ---------------------------------------------------------------------------
# Fixture -> omero.model graph
# ---------------------------------------------------------------------------

def load_fixture(path_or_dict):
    if isinstance(path_or_dict, dict):
        return path_or_dict
    with open(path_or_dict) as f:
        return json.load(f)


def _length(value, unit):
    if value is None:
        return None
    return omero.model.LengthI(float(value), getattr(UnitsLength, unit))


def _enum(cache, cls, value, next_id):
    key = (cls.__name__, value)
    if key not in cache:
        cache[key] = cls(next_id(), True)
        cache[key].setValue(rstring(value))
    return cache[key]


PIXEL_TYPES = {  # name: (bits, signed, min, max)
    "int8": (8, True, -128, 127), "uint8": (8, False, 0, 255),
    "int16": (16, True, -32768, 32767), "uint16": (16, False, 0, 65535),
    "int32": (32, True, -2 ** 31, 2 ** 31 - 1),
    "uint32": (32, False, 0, 2 ** 32 - 1),
    "float": (32, True, -3.4e38, 3.4e38),
    "double": (64, True, -1.7e308, 1.7e308), "bit": (1, False, 0, 1),
}


def build_model(fx):
    """Build the object graph. Returns (users, groups, objects) where objects
    is a list of every IObject reachable from the fixture's images."""
    counter = iter(range(10 ** 9, 2 * 10 ** 9))  # ids of synthesized objects
    enums = {}

    def enum(cls, value):
        return _enum(enums, cls, value, lambda: next(counter))

    groups = {}
    for g in fx["groups"]:
        grp = omero.model.ExperimenterGroupI(g["id"], True)
        grp.setName(rstring(g["name"]))
        grp.setLdap(rbool(False))
        grp.getDetails().setPermissions(
            omero.model.PermissionsI(g.get("permissions", "rw----")))
        groups[g["id"]] = grp
    users = {}
    for u in fx["users"]:
        exp = omero.model.ExperimenterI(u["id"], True)
        exp.setOmeName(rstring(u["name"]))
        exp.setFirstName(rstring(u.get("firstName", u["name"])))
        exp.setLastName(rstring(u.get("lastName", "")))
        exp.setEmail(rstring(u.get("email", "")))
        exp.setLdap(rbool(False))
        users[u["id"]] = exp
    creation = omero.model.EventI(next(counter), True)
    creation.setTime(rtime(int(fx.get("creationTime", 1700000000000))))

    def details(obj, owner, group):
        d = obj.getDetails()
        d.setOwner(users[owner])
        d.setGroup(groups[group])
        d.setPermissions(omero.model.PermissionsI(
            fx_group[group].get("permissions", "rw----")))
        d.setCreationEvent(creation)
        return obj

    fx_group = {g["id"]: g for g in fx["groups"]}
    objects = []

    def new(cls, id_, owner, group):
        obj = details(cls(id_ if id_ is not None else next(counter), True),
                      owner, group)
        objects.append(obj)
        return obj

    def external_info(obj, e, owner, group):
        ei = new(omero.model.ExternalInfoI, e.get("id"), owner, group)
        ei.setEntityType(rstring(e["entityType"]))
        ei.setEntityId(rlong(e["entityId"]))
        ei.setLsid(rstring(e.get("lsid")) if e.get("lsid") else None)
        ei.setUuid(rstring(e.get("uuid", str(uuidlib.uuid4()))))
        obj.getDetails().setExternalInfo(ei)

    wells = {}
    filesets = {}
    for spec in fx.get("filesets", []):
        fs = new(omero.model.FilesetI, spec["id"], spec["owner"],
                 spec["group"])
        fs.setTemplatePrefix(rstring(spec.get("templatePrefix", "")))
        for f in spec.get("files", []):
            of = new(omero.model.OriginalFileI, f.get("id"), spec["owner"],
                     spec["group"])
            of.setPath(rstring(f["path"]))
            of.setName(rstring(f["name"]))
            of.setSize(rlong(f.get("size", 0)))
            of.setHash(rstring(f.get("hash", "")))
            of.setMimetype(rstring(f.get("mimetype", "application/octet-stream")))
            entry = new(omero.model.FilesetEntryI, f.get("entryId"),
                        spec["owner"], spec["group"])
            entry.setClientPath(rstring(f["path"].lstrip("/") + f["name"]))
            entry.setOriginalFile(of)
            fs.addFilesetEntry(entry)
        filesets[spec["id"]] = fs

    for spec in fx["images"]:
        owner, group = spec["owner"], spec["group"]
        img = new(omero.model.ImageI, spec["id"], owner, group)
        img.setName(rstring(spec["name"]))
        img.setDescription(rstring(spec.get("description", "")))
        img.setAcquisitionDate(rtime(spec.get("acquisitionDate", 0)))
        img.setPartial(rbool(False))
        img.setSeries(rint(spec.get("series", 0)))
        if "fileset" in spec:
            filesets[spec["fileset"]].addImage(img)
        if "externalInfo" in spec:
            external_info(img, spec["externalInfo"], owner, group)
        img.setArchived(rbool(bool(spec.get("archived", False))))
        if "objective" in spec:
            o = spec["objective"]
            objective = new(omero.model.ObjectiveI, o.get("id"), owner, group)
            magnification = o.get("nominalMagnification")
            objective.setNominalMagnification(
                rdouble(magnification) if magnification is not None else None)
            settings = new(omero.model.ObjectiveSettingsI, o.get("settingsId"),
                           owner, group)
            settings.setObjective(objective)
            img.setObjectiveSettings(settings)
        if "well" in spec:
            w = spec["well"]
            well = wells.get(w["id"])
            if well is None:
                well = wells[w["id"]] = new(omero.model.WellI, w["id"], owner,
                                            group)
                well.setRow(rint(w.get("row", 0)))
                well.setColumn(rint(w.get("column", 0)))
            ws = new(omero.model.WellSampleI, w.get("wellSampleId"), owner,
                     group)
            well.addWellSample(ws)
            img.addWellSample(ws)

        p = spec["pixels"]
        pix = new(omero.model.PixelsI, p["id"], owner, group)
        for dim in "XYZCT":
            getattr(pix, "setSize" + dim)(rint(p["size" + dim]))
        ptype = enum(omero.model.PixelsTypeI, p["type"])
        ptype.setBitSize(rint(PIXEL_TYPES[p["type"]][0]))
        pix.setPixelsType(ptype)
        pix.setDimensionOrder(enum(omero.model.DimensionOrderI,
                                   p.get("dimensionOrder", "XYZCT")))
        pix.setSignificantBits(rint(PIXEL_TYPES[p["type"]][0]))
        pix.setSha1(rstring(p.get("sha1", "")))
        unit = p.get("physicalSizeUnit", "MICROMETER")
        pix.setPhysicalSizeX(_length(p.get("physicalSizeX"), unit))
        pix.setPhysicalSizeY(_length(p.get("physicalSizeY"), unit))
        pix.setPhysicalSizeZ(_length(p.get("physicalSizeZ"), unit))
        img.addPixels(pix)

        channels = spec.get("channels") or [{} for _ in range(p["sizeC"])]
        for c in channels:
            ch = new(omero.model.ChannelI, c.get("id"), owner, group)
            r, g, b, a = c.get("color", [255, 255, 255, 255])
            ch.setRed(rint(r)); ch.setGreen(rint(g))
            ch.setBlue(rint(b)); ch.setAlpha(rint(a))
            lc = new(omero.model.LogicalChannelI, c.get("logicalChannelId"),
                     owner, group)
            lc.setName(rstring(c["name"]) if "name" in c else None)
            lc.setEmissionWave(_length(c.get("emissionWave"), "NANOMETER"))
            lc.setExcitationWave(_length(c.get("excitationWave"), "NANOMETER"))
            ch.setLogicalChannel(lc)
            if "stats" in c:
                si = new(omero.model.StatsInfoI, None, owner, group)
                si.setGlobalMin(rdouble(c["stats"][0]))
                si.setGlobalMax(rdouble(c["stats"][1]))
                ch.setStatsInfo(si)
            pix.addChannel(ch)

        # an explicit empty list: no rendering definition yet (never viewed)
        rdefs = spec["renderingDefs"] if "renderingDefs" in spec else \
            [_default_rdef(spec, channels)]
        for rd in rdefs:
            rdef = new(omero.model.RenderingDefI, rd.get("id"),
                       rd.get("owner", owner), group)
            rdef.setName(rstring(rd.get("name", "")))
            rdef.setDefaultZ(rint(rd.get("defaultZ", 0)))
            rdef.setDefaultT(rint(rd.get("defaultT", 0)))
            rdef.setModel(enum(omero.model.RenderingModelI,
                               rd.get("model", "rgb")))
            rdef.setCompression(rdouble(rd.get("compression", 0.9)))
            q = rd.get("quantum", {})
            qd = new(omero.model.QuantumDefI, q.get("id"), owner, group)
            qd.setBitResolution(rint(q.get("bitResolution", 255)))
            qd.setCdStart(rint(q.get("cdStart", 0)))
            qd.setCdEnd(rint(q.get("cdEnd", 255)))
            rdef.setQuantization(qd)
            for cbs in rd["channels"]:
                cb = new(omero.model.ChannelBindingI, cbs.get("id"),
                         rd.get("owner", owner), group)
                cb.setInputStart(rdouble(cbs["start"]))
                cb.setInputEnd(rdouble(cbs["end"]))
                r, g, b, a = cbs.get("color", [255, 255, 255, 255])
                cb.setRed(rint(r)); cb.setGreen(rint(g))
                cb.setBlue(rint(b)); cb.setAlpha(rint(a))
                cb.setFamily(enum(omero.model.FamilyI,
                                  cbs.get("family", "linear")))
                cb.setCoefficient(rdouble(cbs.get("coefficient", 1.0)))
                cb.setNoiseReduction(rbool(cbs.get("noiseReduction", False)))
                cb.setActive(rbool(cbs.get("active", True)))
                lut = cbs.get("lut")
                cb.setLookupTable(rstring(lut) if lut else None)
                if cbs.get("inverted"):
                    ric = new(omero.model.ReverseIntensityContextI, None,
                              rd.get("owner", owner), group)
                    ric.setReverse(rbool(True))
                    cb.addCodomainMapContext(ric)
                rdef.addChannelBinding(cb)
            pix.addRenderingDef(rdef)

        for m in spec.get("masks", []):
            roi = new(omero.model.RoiI, m.get("roiId"), owner, group)
            mask = new(omero.model.MaskI, m.get("id"), owner, group)
            for k in ("x", "y", "width", "height"):
                getattr(mask, "set" + k.capitalize())(rdouble(m[k]))
            for k in ("theZ", "theT", "theC"):
                if k in m:
                    getattr(mask, "set" + k[0].upper() + k[1:])(rint(m[k]))
            mask.setTextValue(rstring(m.get("text", "")))
            mask.setFillColor(rint(m.get("fillColor", -1)))
            mask.setBytes(bytes(m.get("bytes", [])))
            if "externalInfo" in m:
                external_info(mask, m["externalInfo"], owner, group)
            roi.addShape(mask)
            img.addRoi(roi)

    images = {unwrap(o.getId()): o for o in objects
              if isinstance(o, omero.model.ImageI)}
    datasets = {}
    for spec in fx.get("datasets", []):
        ds = datasets[spec["id"]] = new(omero.model.DatasetI, spec["id"],
                                        spec["owner"], spec["group"])
        ds.setName(rstring(spec["name"]))
        ds.setDescription(rstring(spec.get("description", "")))
        for image_id in spec.get("images", []):
            link = new(omero.model.DatasetImageLinkI, None, spec["owner"],
                       spec["group"])
            link.setParent(ds)
            link.setChild(images[image_id])
            ds.addDatasetImageLink(link)
            images[image_id].addDatasetImageLink(link)
    for spec in fx.get("projects", []):
        pr = new(omero.model.ProjectI, spec["id"], spec["owner"], spec["group"])
        pr.setName(rstring(spec["name"]))
        pr.setDescription(rstring(spec.get("description", "")))
        for dataset_id in spec.get("datasets", []):
            link = new(omero.model.ProjectDatasetLinkI, None, spec["owner"],
                       spec["group"])
            link.setParent(pr)
            link.setChild(datasets[dataset_id])
            pr.addProjectDatasetLink(link)
            datasets[dataset_id].addProjectDatasetLink(link)
    return users, groups, objects


def _default_rdef(spec, channels):
    lo, hi = PIXEL_TYPES[spec["pixels"]["type"]][2:]
    return {"owner": spec["owner"], "channels": [
        {"start": c.get("stats", [lo, hi])[0], "end": c.get("stats", [lo, hi])[1],
         "color": c.get("color", [255, 255, 255, 255])} for c in channels]}


# ---------------------------------------------------------------------------
# A tiny HQL evaluator
# ---------------------------------------------------------------------------

KEYWORDS = {"join", "left", "right", "inner", "outer", "fetch", "where",
            "order", "group", "as", "select", "from", "and", "or", "by",
            "with", "on"}


def _unsupported(msg):
    return omero.ApiUsageException(message="fake OMERO: unsupported HQL: "
                                   + msg)


class FetchTree(object):
    """The `join fetch` paths of a query, as a tree of field names."""

    def __init__(self):
        self.children, self.fetched = {}, False

    def child(self, name):
        return self.children.setdefault(name, FetchTree())

    def loaded(self, name):
        """The subtree of field `name` if the query fetched it, else None."""
        node = self.children.get(name)
        return node if node is not None and node.fetched else None


EMPTY_FETCH = FetchTree()


def strict_copy(obj, tree=EMPTY_FETCH, memo=None):
    """A loaded copy of `obj` as an OMERO server returns it: links and
    collections that `tree` does not fetch come back unloaded (a link as an
    id-only proxy, a collection as unloaded), like Hibernate's lazy
    associations; fetched ones are copied by the same rule one level down.
    The model graph itself is never changed."""
    memo = {} if memo is None else memo
    key = (id(obj), id(tree))
    if key in memo:
        return memo[key]
    new = memo[key] = copy.copy(obj)
    for attr, value in list(vars(obj).items()):
        if attr == "_details" and value is not None:
            new._details = _strict_links(
                copy.copy(value), tree.children.get("details", EMPTY_FETCH),
                memo)
        elif attr.endswith("Seq") and hasattr(obj, attr[:-3] + "Loaded"):
            sub = tree.loaded(attr[1:-3])
            if sub is None:
                setattr(new, attr, None)  # as unloadX() leaves it
                setattr(new, attr[:-3] + "Loaded", False)
            else:
                setattr(new, attr, [strict_copy(v, sub, memo)
                                    for v in (value or [])])
    return _strict_links(new, tree, memo)


def _strict_links(obj, tree, memo):
    for attr, value in list(vars(obj).items()):
        if isinstance(value, omero.model.IObject):
            sub = tree.loaded(attr[1:])
            setattr(obj, attr, value.proxy() if sub is None
                    else strict_copy(value, sub, memo))
    return obj


class Hql(object):
    FROM = re.compile(r"^(?:select\s+(distinct\s+)?(?P<sel>.+?)\s+)?"
                      r"from\s+(?P<ent>[\w.]+)(?:\s+(?:as\s+)?(?P<alias>\w+))?"
                      r"(?P<rest>.*)$", re.I | re.S)
    JOIN = re.compile(r"\s*(?:(left)\s+(?:outer\s+)?|inner\s+)?join\s+"
                      r"(fetch\s+)?([\w.]+)(?:\s+(?:as\s+)?(\w+))?", re.I)
    COND = [
        (re.compile(r"^([\w.]+)\s*=\s*:(\w+)$"), "eq_param"),
        (re.compile(r"^([\w.]+)\s+in\s*\(\s*:(\w+)\s*\)$", re.I), "in_param"),
        (re.compile(r"^([\w.]+)\s*=\s*(-?\d+|'[^']*')$"), "eq_lit"),
        (re.compile(r"^([\w.]+)\s+is\s+(not\s+)?null$", re.I), "null"),
    ]

    def __init__(self, text):
        self.text = text
        q = " ".join(text.split())
        m = self.FROM.match(q)
        if not m:
            raise _unsupported(text)
        self.entity = m.group("ent").split(".")[-1]
        if self.entity.endswith("I") and hasattr(omero.model,
                                                 self.entity[:-1]):
            self.entity = self.entity[:-1]
        if not hasattr(omero.model, self.entity):
            raise _unsupported("unknown entity %s" % self.entity)
        alias = m.group("alias")
        rest = m.group("rest")
        if alias and alias.lower() in KEYWORDS:
            rest = " " + alias + rest
            alias = None
        self.root = alias or "this"
        self.select = [s.strip() for s in
                       (m.group("sel") or self.root).split(",")]
        self.joins = []  # (outer, path, alias)
        self.fetch = {self.root: FetchTree()}  # alias -> what comes loaded
        while True:
            jm = self.JOIN.match(rest)
            if not jm:
                break
            a = jm.group(4)
            if a and a.lower() in KEYWORDS:
                a = None
            end = jm.end(4) if a else jm.end(3)
            self.joins.append((bool(jm.group(1)), jm.group(3), a))
            node = self._fetch_node(jm.group(3), mark=bool(jm.group(2)))
            if a:
                self.fetch[a] = node
            rest = rest[end:]
        rest = re.split(r"\border\s+by\b", rest, flags=re.I)[0].strip()
        self.conds = []
        if rest:
            wm = re.match(r"^where\s+(.*)$", rest, re.I | re.S)
            if not wm:
                raise _unsupported(rest)
            for c in re.split(r"\s+and\s+", wm.group(1).strip(), flags=re.I):
                c = c.strip()
                while c.startswith("(") and c.endswith(")"):
                    c = c[1:-1].strip()
                for rx, kind in self.COND:
                    cm = rx.match(c)
                    if cm:
                        self.conds.append((kind, cm.groups()))
                        break
                else:
                    raise _unsupported("condition %r" % c)

    def _fetch_node(self, path, mark=False):
        """The FetchTree node of `path` (alias-relative or root-relative);
        with `mark`, every step of the path is fetched (`join fetch`)."""
        parts = path.split(".")
        if parts[0] in self.fetch:
            node, parts = self.fetch[parts[0]], parts[1:]
        else:
            node = self.fetch[self.root]
        for part in parts:
            node = node.child(part)
            node.fetched = node.fetched or mark
        return node

    def fetch_tree(self, expr):
        """What an object selected by `expr` carries loaded below itself."""
        return self.fetch.get(expr) or self._fetch_node(expr)

    # -- evaluation --
    @staticmethod
    def _field(obj, name):
        if obj is None:
            return None
        if isinstance(obj, list):
            raise _unsupported("path through a collection: " + name)
        for attr in ("_" + name, "_" + name + "Seq"):
            if hasattr(obj, attr):
                return getattr(obj, attr)
        raise omero.ApiUsageException(
            message="fake OMERO: %s has no field %s"
            % (type(obj).__name__, name))

    def _path(self, row, path):
        parts = path.split(".")
        if parts[0] in row:
            obj, parts = row[parts[0]][0], parts[1:]
        else:
            obj = row[self.root][0]
        for p in parts:
            obj = self._field(obj, p)
        return obj

    @staticmethod
    def _plain(v):
        if isinstance(v, omero.model.IObject):
            return unwrap(v.getId())
        return unwrap(v)

    def run(self, roots, params):
        rows = [{self.root: (o, 0)} for o in roots]
        for outer, path, alias in self.joins:
            new_rows = []
            for row in rows:
                target = self._path(row, path)
                targets = target if isinstance(target, list) else (
                    [] if target is None else [target])
                for i, t in enumerate(targets):
                    if alias:
                        new_rows.append(dict(row, **{alias: (t, i)}))
                    else:
                        new_rows.append(row)
                if not targets and outer:
                    new_rows.append(dict(row, **{alias: (None, 0)})
                                    if alias else row)
            rows = new_rows
        pmap = dict((k, unwrap(v)) for k, v in (params or {}).items())
        for kind, args in self.conds:
            rows = [r for r in rows if self._test(r, kind, args, pmap)]
        return rows

    def _test(self, row, kind, args, pmap):
        value = self._plain(self._path(row, args[0]))
        if kind in ("eq_param", "in_param"):
            if args[1] not in pmap:
                raise omero.ApiUsageException(
                    message="fake OMERO: missing parameter :" + args[1])
            want = pmap[args[1]]
            if kind == "in_param" or isinstance(want, (list, set, tuple)):
                want = want if isinstance(want, (list, set, tuple)) else [want]
                return value in [self._plain(w) for w in want]
            return value == self._plain(want)
        if kind == "eq_lit":
            lit = args[1]
            return value == (lit[1:-1] if lit.startswith("'") else int(lit))
        return (value is None) != bool(args[1])

    def item(self, row, expr):
        m = re.match(r"^index\((\w+)\)$", expr, re.I)
        if m:
            return rint(row[m.group(1)][1])
        v = self._path(row, expr)
        if isinstance(v, omero.model.IObject):
            return robject(v)
        if isinstance(v, list):
            raise _unsupported("selecting a collection: " + expr)
        if isinstance(v, (omero.RType, type(None))):
            return v
        return omero.rtypes.rtype(v)


# ---------------------------------------------------------------------------
# Servant plumbing
# ---------------------------------------------------------------------------

def servant(base):
    """Class decorator: make a sync-style implementation class serve `base`.

    Every Slice operation of `base` that the class implements (as
    ``op(self, *args, current)``) is wrapped to log the call; AMD operations
    get an ``op_async`` adapter; every operation NOT implemented raises
    ApiUsageException immediately (instead of hanging on an AMD callback that
    is never answered)."""
    def decorate(cls):
        ops = [n[4:] for n in dir(base) if n.startswith("_op_")
               and not n.startswith("_op_ice_")]
        for op in ops:
            impl = _logged(op, _find_impl(cls, op) or _not_implemented(op))
            if hasattr(base, op + "_async"):
                setattr(cls, op + "_async", _amd(impl))
            else:
                setattr(cls, op, _sync(impl))
        return type(cls.__name__, (cls, base), {})
    return decorate


def _find_impl(cls, op):
    for k in cls.__mro__:
        if k.__module__ == __name__ and op in k.__dict__:
            return k.__dict__[op]
    return None


def _not_implemented(op):
    def f(self, *args):
        raise omero.ApiUsageException(
            message="fake OMERO: %s.%s not implemented"
            % (type(self).__name__, op))
    return f


def _logged(op, fn):
    @functools.wraps(fn)
    def f(self, *args):
        self.server.record(dict(service=type(self).__name__, op=op,
                                session=self.session_uuid(args[-1])))
        self.server.check_routed(self, args[-1])
        return fn(self, *args)
    return f


def _sync(fn):
    def f(self, *args):
        result = fn(self, *args)
        return None if result is NOTHING else result
    return f


def _amd(fn):
    def f(self, cb, *args):
        try:
            result = fn(self, *args)
        except (Ice.UserException, Ice.ObjectNotExistException) as e:
            cb.ice_exception(e)
        except Exception as e:  # a bug in the fake: report it, don't hang
            self.server.log("internal error: %r" % (e,))
            cb.ice_exception(omero.InternalException(
                message="fake OMERO internal error: %r" % (e,)))
        else:
            if result is NOTHING:
                cb.ice_response()
            else:
                cb.ice_response(result)
    return f


class Base(object):
    def __init__(self, server):
        self.server = server

    @staticmethod
    def session_uuid(current):
        return current.id.name.split("/")[0] if current else None

    def session(self, current):
        s = self.server.sessions.get(self.session_uuid(current))
        if s is None:
            raise omero.SessionException(message="fake OMERO: no session")
        return s


# ---------------------------------------------------------------------------
# Servants
# ---------------------------------------------------------------------------

@servant(Glacier2.Router)
class Router(Base):
    def session_uuid(self, current):
        return None

    def getClientProxy(self, current=None):
        return self.server.proxy(Ice.Identity("client", "fake"), current)

    getServerProxy = getClientProxy

    def addProxies(self, proxies, current=None):
        return []

    def getCategoryForClient(self, current=None):
        return "fake-client-%x" % id(current.con)

    def createSession(self, user, password, current=None):
        uuid = self.server.login(user, password)
        self.server.bind_connection(current.con, uuid)
        return Glacier2.SessionPrx.uncheckedCast(self.server.proxy(
            Ice.Identity(uuid, "ServiceFactory"), current))

    def refreshSession(self, current=None):
        return NOTHING

    def destroySession(self, current=None):
        pass

    def getSessionTimeout(self, current=None):
        return 600

    def getACMTimeout(self, current=None):
        return 0


@servant(omero.api.ServiceFactory)
class ServiceFactory(Base):
    def session_uuid(self, current):
        return current.id.name

    def _proxy(self, category, cast, current, name=None):
        return cast.uncheckedCast(self.server.proxy(
            Ice.Identity(name or current.id.name, category), current))

    def getQueryService(self, current=None):
        return self._proxy("IQuery", omero.api.IQueryPrx, current)

    def getContainerService(self, current=None):
        return self._proxy("IContainer", omero.api.IContainerPrx, current)

    def getAdminService(self, current=None):
        return self._proxy("IAdmin", omero.api.IAdminPrx, current)

    def getConfigService(self, current=None):
        return self._proxy("IConfig", omero.api.IConfigPrx, current)

    def getSessionService(self, current=None):
        return self._proxy("ISession", omero.api.ISessionPrx, current)

    def createRenderingEngine(self, current=None):
        name = "%s/%s" % (current.id.name, uuidlib.uuid4())
        return self._proxy("RenderingEngine", omero.api.RenderingEnginePrx,
                           current, name)

    def getTypesService(self, current=None):
        return self._proxy("ITypes", omero.api.ITypesPrx, current)

    def getScriptService(self, current=None):
        return self._proxy("IScript", omero.api.IScriptPrx, current)

    def createRawPixelsStore(self, current=None):
        name = "%s/%s" % (current.id.name, uuidlib.uuid4())
        return self._proxy("RawPixelsStore", omero.api.RawPixelsStorePrx,
                           current, name)

    def createThumbnailStore(self, current=None):
        name = "%s/%s" % (current.id.name, uuidlib.uuid4())
        return self._proxy("ThumbnailStore", omero.api.ThumbnailStorePrx,
                           current, name)

    def getSecurityContexts(self, current=None):
        s = self.session(current)
        return [self.server.groups[g] for g in self.server.member_of(s)]

    def setSecurityContext(self, obj, current=None):
        s = self.session(current)
        old = self.server.groups[s["group"]]
        gid = unwrap(obj.getId())
        if not isinstance(obj, omero.model.ExperimenterGroup) or \
                gid not in self.server.member_of(s):
            raise omero.SecurityViolation(
                message="fake OMERO: cannot switch to %r" % (obj,))
        s["group"] = gid
        return old

    def keepAlive(self, proxy, current=None):
        return True

    def keepAllAlive(self, proxies, current=None):
        return 0

    def activeServices(self, current=None):
        return []

    def setCallback(self, callback, current=None):
        self.session(current)["callback"] = callback

    def detachOnDestroy(self, current=None):
        pass

    def closeOnDestroy(self, current=None):
        pass

    def destroy(self, current=None):
        pass


@servant(omero.api.IConfig)
class Config(Base):
    def getVersion(self, current=None):
        return VERSION

    def getConfigValue(self, key, current=None):
        return self.server.config.get(key, "")

    def getConfigValues(self, regex, current=None):
        return {k: v for k, v in self.server.config.items()
                if re.search(regex, k)}

    def getConfigDefaults(self, current=None):
        return dict(DEFAULT_CONFIG)

    def getClientConfigValues(self, current=None):
        return self.getConfigValues(r"^omero\.client\.")

    def getClientConfigDefaults(self, current=None):
        return {k: v for k, v in DEFAULT_CONFIG.items()
                if k.startswith("omero.client.")}

    def getServerTime(self, current=None):
        return rtime(int(time.time() * 1000))

    getDatabaseTime = getServerTime

    def getDatabaseUuid(self, current=None):
        return self.server.config["omero.db.uuid"]


@servant(omero.api.ISession)
class Session(Base):
    def getSession(self, uuid, current=None):
        s = self.server.sessions.get(uuid)
        if s is None:
            raise omero.RemovedSessionException(message="no session " + uuid)
        so = omero.model.SessionI(abs(hash(uuid)) % 10 ** 6, True)
        so.setUuid(rstring(uuid))
        so.setTimeToIdle(rlong(600000))
        so.setTimeToLive(rlong(0))
        so.setStarted(rtime(int(s["started"] * 1000)))
        so.setOwner(self.server.users[s["user"]])
        return so

    def getReferenceCount(self, uuid, current=None):
        return 1 if uuid in self.server.sessions else 0

    def closeSession(self, session, current=None):
        """Like OMERO when the last reference goes: the session is gone
        (BlitzGateway.close() does this; close(hard=False) does not)."""
        uuid = unwrap(session.getUuid())
        if uuid not in self.server.sessions:
            raise omero.RemovedSessionException(message="no session " + uuid)
        if not self.server.keep_sessions:
            del self.server.sessions[uuid]
        return 0


@servant(omero.api.IAdmin)
class Admin(Base):
    def getEventContext(self, current=None):
        srv, s = self.server, self.session(current)
        user = srv.users_fx[s["user"]]
        gid = s["group"]
        ec = omero.sys.EventContext()
        ec.shareId = -1
        ec.sessionId = abs(hash(s["uuid"])) % 10 ** 6
        ec.sessionUuid = s["uuid"]
        ec.userId = user["id"]
        ec.userName = user["name"]
        ec.groupId = gid
        ec.groupName = srv.groups_fx[gid]["name"]
        ec.isAdmin = bool(user.get("admin"))
        ec.adminPrivileges = list(srv.ADMIN_PRIVILEGES) if ec.isAdmin else []
        ec.eventId = -1
        ec.eventType = "User"
        ec.memberOfGroups = list(user["groups"])
        ec.leaderOfGroups = list(user.get("leaderOf", []))
        ec.groupPermissions = omero.model.PermissionsI(
            srv.groups_fx[gid].get("permissions", "rw----"))
        return ec

    def getSecurityRoles(self, current=None):
        return omero.sys.Roles(
            rootId=0, rootName="root", systemGroupId=0,
            systemGroupName="system", userGroupId=1, userGroupName="user",
            guestId=-1, guestName="guest", guestGroupId=-1,
            guestGroupName="guest")

    def getExperimenter(self, id, current=None):
        return self._get(self.server.users, id)

    def getGroup(self, id, current=None):
        return self._get(self.server.groups, id)

    def lookupExperimenter(self, name, current=None):
        for u in self.server.users.values():
            if u.getOmeName().val == name:
                return u
        raise omero.ApiUsageException(message="no user " + name)

    def _get(self, d, id):
        if id not in d:
            raise omero.ApiUsageException(message="no such id %s" % id)
        return d[id]

    def getMemberOfGroupIds(self, exp, current=None):
        uid = unwrap(exp.getId()) if exp else self.session(current)["user"]
        return list(self.server.users_fx[uid]["groups"])

    def getLeaderOfGroupIds(self, exp, current=None):
        uid = unwrap(exp.getId()) if exp else self.session(current)["user"]
        return list(self.server.users_fx[uid].get("leaderOf", []))

    def containedGroups(self, uid, current=None):
        return [self.server.groups[g]
                for g in self.server.users_fx[uid]["groups"]]

    def getCurrentAdminPrivileges(self, current=None):
        s = self.session(current)
        return self.getAdminPrivileges(self.server.users[s["user"]], current)

    def getAdminPrivileges(self, exp, current=None):
        if not self.server.users_fx[unwrap(exp.getId())].get("admin"):
            return []
        out = []
        for name in self.server.ADMIN_PRIVILEGES:
            p = omero.model.AdminPrivilegeI()
            p.setValue(rstring(name))
            out.append(p)
        return out


@servant(omero.api.IQuery)
class Query(Base):
    def _klass(self, klass):
        name = klass.split(".")[-1]
        return name[:-1] if name.endswith("I") and hasattr(
            omero.model, name[:-1]) else name

    def _run(self, op, query, params, current):
        self.server.record_query(op, query, params, current)
        hql = Hql(query)
        roots = self.server.visible(hql.entity, current, params)
        rows = hql.run(roots, params.map if params else None)
        return hql, rows

    def _objects(self, hql, rows, params):
        if len(hql.select) != 1:
            raise omero.ApiUsageException(
                message="fake OMERO: select exactly one entity for this call")
        seen, out = set(), []
        for row in rows:
            v = unwrap(hql.item(row, hql.select[0]))
            if isinstance(v, omero.model.IObject) and id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        tree, memo = hql.fetch_tree(hql.select[0]), {}
        return [self._as_served(o, tree, memo) for o in _page(out, params)]

    def _as_served(self, obj, tree=EMPTY_FETCH, memo=None):
        """`obj` as the server would send it: strict about unfetched links."""
        return strict_copy(obj, tree, memo) if self.server.strict else obj

    def findAllByQuery(self, query, params, current=None):
        hql, rows = self._run("findAllByQuery", query, params, current)
        return self._objects(hql, rows, params)

    def findByQuery(self, query, params, current=None):
        hql, rows = self._run("findByQuery", query, params, current)
        out = self._objects(hql, rows, params)
        if len(out) > 1:
            raise omero.ApiUsageException(
                message="fake OMERO: findByQuery got %d results" % len(out))
        return out[0] if out else None

    def projection(self, query, params, current=None):
        hql, rows = self._run("projection", query, params, current)
        sel = hql.select
        if len(sel) == 1 and re.match(r"^count\(.*\)$", sel[0], re.I):
            return [[rlong(len(rows))]]
        memo = {}

        def served(value, expr):
            obj = unwrap(value) if isinstance(value, omero.RObject) else None
            if isinstance(obj, omero.model.IObject):
                return robject(self._as_served(obj, hql.fetch_tree(expr), memo))
            return value
        return _page([[served(hql.item(r, e), e) for e in sel] for r in rows],
                     params)

    def _by_id(self, op, klass, id, current):
        query = "from %s where id = %d" % (self._klass(klass), id)
        self.server.record_query(op, query, None, current)
        for o in self.server.visible(self._klass(klass), current):
            if unwrap(o.getId()) == id:
                return self._as_served(o)
        return None

    def find(self, klass, id, current=None):
        return self._by_id("find", klass, id, current)

    def get(self, klass, id, current=None):
        o = self._by_id("get", klass, id, current)
        if o is None:
            raise omero.ValidationException(
                message="fake OMERO: no %s with id %s" % (klass, id))
        return o

    def findAll(self, klass, filter, current=None):
        query = "from " + self._klass(klass)
        params = omero.sys.Parameters(theFilter=filter)
        self.server.record_query("findAll", query, params, current)
        return [self._as_served(o) for o in _page(
            self.server.visible(self._klass(klass), current, params), params)]


@servant(omero.api.IContainer)
class Container(Base):
    """IContainer.getImages only: what BlitzGateway calls to load an image's
    pixels (``ImageWrapper.__loadedHotSwap__``)."""

    # What OMERO's getImages query definition fetches with each image.
    IMAGES = ("select i from Image i left outer join fetch i.details.owner "
              "left outer join fetch i.details.group "
              "left outer join fetch i.details.creationEvent "
              "left outer join fetch i.details.updateEvent "
              "left outer join fetch i.pixels p "
              "left outer join fetch p.pixelsType where i.id in (:ids)")

    def getImages(self, rootType, rootIds, options, current=None):
        query = Query(self.server)
        if query._klass(rootType) != "Image":
            raise omero.ApiUsageException(
                message="fake OMERO: getImages only for rootType Image")
        params = omero.sys.ParametersI().addIds(list(rootIds))
        hql, rows = query._run("getImages", self.IMAGES, params, current)
        return query._objects(hql, rows, None)


def _page(items, params):
    f = params.theFilter if params else None
    offset = unwrap(f.offset) if f and f.offset else 0
    limit = unwrap(f.limit) if f and f.limit else None
    return items[offset:offset + limit if limit is not None else None]


@servant(omero.api.RenderingEngine)
class RenderingEngine(Base):
    """Per-proxy state lives in server.engines[current.id.name]."""

    def _st(self, current):
        st = self.server.engines.setdefault(current.id.name, {})
        return st

    def _rdef(self, current):
        st = self._st(current)
        if "channels" not in st:
            raise omero.ApiUsageException(message="fake OMERO: call load()")
        return st

    def lookupPixels(self, pid, current=None):
        for p in self.server.visible("Pixels", current):
            if unwrap(p.getId()) == pid:
                self._st(current)["pixels"] = p
                return NOTHING
        raise omero.ValidationException(message="no pixels %s" % pid)

    def lookupRenderingDef(self, pid, current=None):
        st = self._st(current)
        rdefs = st["pixels"].copySettings()
        uid = self.session(current)["user"]
        owner = unwrap(st["pixels"].getDetails().getOwner().getId())
        for want in (uid, owner, None):
            for r in rdefs:
                if want is None or unwrap(
                        r.getDetails().getOwner().getId()) == want:
                    st["rdef"] = r
                    return True
        return False

    def loadRenderingDef(self, rid, current=None):
        st = self._st(current)
        for r in st["pixels"].copySettings():
            if unwrap(r.getId()) == rid:
                st["rdef"] = r
                return NOTHING
        raise omero.ValidationException(message="no rendering def %s" % rid)

    def resetDefaultSettings(self, save, current=None):
        self.lookupRenderingDef(None, current)
        return unwrap(self._st(current)["rdef"].getId())

    def load(self, current=None):
        st = self._st(current)
        rdef = st["rdef"]
        st["z"], st["t"] = unwrap(rdef.getDefaultZ()), unwrap(rdef.getDefaultT())
        st["model"] = rdef.getModel()
        st["channels"] = [dict(
            start=unwrap(cb.getInputStart()), end=unwrap(cb.getInputEnd()),
            rgba=[unwrap(x) for x in (cb.getRed(), cb.getGreen(),
                                      cb.getBlue(), cb.getAlpha())],
            active=unwrap(cb.getActive()), family=cb.getFamily(),
            coefficient=unwrap(cb.getCoefficient()),
            noise=unwrap(cb.getNoiseReduction()),
            lut=unwrap(cb.getLookupTable()),
            codomain=cb.copySpatialDomainEnhancement())
            for cb in rdef.copyWaveRendering()]
        st["compression"] = 0.9
        return NOTHING

    def _ch(self, i, current):
        return self._rdef(current)["channels"][i]

    def getPixels(self, current=None):
        return self._st(current)["pixels"]

    def getRenderingDefId(self, current=None):
        return unwrap(self._st(current)["rdef"].getId())

    def getRGBA(self, i, current=None):
        return list(self._ch(i, current)["rgba"])

    def isActive(self, i, current=None):
        return self._ch(i, current)["active"]

    def getChannelWindowStart(self, i, current=None):
        return float(self._ch(i, current)["start"])

    def getChannelWindowEnd(self, i, current=None):
        return float(self._ch(i, current)["end"])

    def getChannelFamily(self, i, current=None):
        return self._ch(i, current)["family"]

    def getChannelCurveCoefficient(self, i, current=None):
        return float(self._ch(i, current)["coefficient"])

    def getChannelNoiseReduction(self, i, current=None):
        return bool(self._ch(i, current)["noise"])

    def getChannelLookupTable(self, i, current=None):
        return self._ch(i, current)["lut"] or ""

    def getCodomainMapContext(self, i, current=None):
        return list(self._ch(i, current)["codomain"])

    def getDefaultZ(self, current=None):
        return self._rdef(current)["z"]

    def getDefaultT(self, current=None):
        return self._rdef(current)["t"]

    def getModel(self, current=None):
        return self._rdef(current)["model"]

    def getQuantumDef(self, current=None):
        return self._st(current)["rdef"].getQuantization()

    def _ptype(self, current):
        return PIXEL_TYPES[self._st(current)["pixels"].getPixelsType()
                           .getValue().val]

    def getPixelsTypeLowerBound(self, w, current=None):
        return float(self._ptype(current)[2])

    def getPixelsTypeUpperBound(self, w, current=None):
        return float(self._ptype(current)[3])

    def isPixelsTypeSigned(self, current=None):
        return self._ptype(current)[1]

    def setChannelWindow(self, i, start, end, current=None):
        self._ch(i, current).update(start=start, end=end)
        return NOTHING

    def setActive(self, i, active, current=None):
        self._ch(i, current)["active"] = active
        return NOTHING

    def setRGBA(self, i, r, g, b, a, current=None):
        self._ch(i, current)["rgba"] = [r, g, b, a]
        return NOTHING

    def setDefaultZ(self, z, current=None):
        self._rdef(current)["z"] = z
        return NOTHING

    def setDefaultT(self, t, current=None):
        self._rdef(current)["t"] = t
        return NOTHING

    def getCompressionLevel(self, current=None):
        return self._st(current).get("compression", 0.9)

    def setCompressionLevel(self, level, current=None):
        self._st(current)["compression"] = level
        return NOTHING

    def close(self, current=None):
        self.server.engines.pop(current.id.name, None)
        return NOTHING

    # -- extensions: resolution levels (fixture pixels "resolutions",
    #    "tileSize"), families/models, and state-only setters that the
    #    webgateway render views call before render*/getHistogram (which
    #    stay unimplemented: no pixel data) --
    def _pfx(self, current):
        return self.server.pixels_fx(unwrap(self._st(current)["pixels"].getId()))

    def _resolutions(self, current):
        p = self._pfx(current)
        return p.get("resolutions") or [[p["sizeX"], p["sizeY"]]]

    def getResolutionLevels(self, current=None):
        return len(self._resolutions(current))

    def getResolutionDescriptions(self, current=None):
        return [omero.api.ResolutionDescription(int(x), int(y))
                for x, y in self._resolutions(current)]

    def getResolutionLevel(self, current=None):
        return self._st(current).get("level",
                                     len(self._resolutions(current)) - 1)

    def setResolutionLevel(self, level, current=None):
        if not 0 <= level < len(self._resolutions(current)):
            raise omero.ApiUsageException(message="bad resolution level")
        self._st(current)["level"] = level
        return NOTHING

    def getTileSize(self, current=None):
        p = self._pfx(current)
        if p.get("tileSize"):
            return [int(v) for v in p["tileSize"]]
        return [min(p["sizeX"], 2048), min(p["sizeY"], 2048)]

    def requiresPixelsPyramid(self, current=None):
        return len(self._resolutions(current)) > 1

    def getAvailableFamilies(self, current=None):
        return self.server.enumerations("Family")

    def getAvailableModels(self, current=None):
        return self.server.enumerations("RenderingModel")

    def setModel(self, model, current=None):
        self._rdef(current)["model"] = model
        return NOTHING

    def setQuantizationMap(self, i, family, coefficient, noise, current=None):
        self._ch(i, current).update(family=family, coefficient=coefficient,
                                    noise=noise)
        return NOTHING

    def setQuantumStrategy(self, bit_resolution, current=None):
        self._rdef(current)["bit_resolution"] = bit_resolution
        return NOTHING

    def setCodomainInterval(self, start, end, current=None):
        self._rdef(current)["codomain_interval"] = (start, end)
        return NOTHING

    def setChannelLookupTable(self, i, lut, current=None):
        self._ch(i, current)["lut"] = lut or None
        return NOTHING

    def addCodomainMapToChannel(self, ctx, i, current=None):
        self._ch(i, current)["codomain"] = list(
            self._ch(i, current)["codomain"]) + [ctx]
        return NOTHING

    def removeCodomainMapFromChannel(self, ctx, i, current=None):
        ch = self._ch(i, current)
        ch["codomain"] = [c for c in ch["codomain"]
                          if type(c).__name__ != type(ctx).__name__]
        return NOTHING

    def updateCodomainMap(self, ctx, i, current=None):
        return self.addCodomainMapToChannel(ctx, i, current)


@servant(omero.api.ITypes)
class Types(Base):
    """allEnumerations for the enumerations the viewers ask for."""

    def allEnumerations(self, klass, current=None):
        name = klass.split(".")[-1]
        if name.endswith("I") and name[:-1] in self.server.ENUMERATIONS:
            name = name[:-1]
        return self.server.enumerations(name)


@servant(omero.api.IScript)
class Script(Base):
    """No scripts are installed: getScriptsByMimetype (LUT files) and
    getScripts answer empty lists."""

    def getScriptsByMimetype(self, mimetype, current=None):
        return []

    def getScripts(self, current=None):
        return []


@servant(omero.api.RawPixelsStore)
class RawPixelsStore(Base):
    """Metadata only (what BlitzGateway's getPixelRange and friends ask):
    setPixelsId, getByteWidth, isSigned, isFloat, resolution levels/tile
    size.  Every call that reads pixel data raises (not implemented)."""

    def _st(self, current):
        return self.server.engines.setdefault("raw:" + current.id.name, {})

    def _pfx(self, current):
        if "pixels" not in self._st(current):
            raise omero.ApiUsageException(message="fake OMERO: setPixelsId")
        return self.server.pixels_fx(self._st(current)["pixels"])

    def setPixelsId(self, pid, bypass, current=None):
        for p in self.server.visible("Pixels", current):
            if unwrap(p.getId()) == pid:
                self._st(current)["pixels"] = pid
                return NOTHING
        raise omero.ValidationException(message="no pixels %s" % pid)

    def getPixelsId(self, current=None):
        return self._st(current).get("pixels", -1)

    def getByteWidth(self, current=None):
        return max(1, PIXEL_TYPES[self._pfx(current)["type"]][0] // 8)

    def isSigned(self, current=None):
        return PIXEL_TYPES[self._pfx(current)["type"]][1]

    def isFloat(self, current=None):
        return self._pfx(current)["type"] in ("float", "double")

    def _resolutions(self, current):
        p = self._pfx(current)
        return p.get("resolutions") or [[p["sizeX"], p["sizeY"]]]

    def getResolutionLevels(self, current=None):
        return len(self._resolutions(current))

    def getResolutionDescriptions(self, current=None):
        return [omero.api.ResolutionDescription(int(x), int(y))
                for x, y in self._resolutions(current)]

    def getTileSize(self, current=None):
        p = self._pfx(current)
        if p.get("tileSize"):
            return [int(v) for v in p["tileSize"]]
        return [min(p["sizeX"], 2048), min(p["sizeY"], 2048)]

    def requiresPixelsPyramid(self, current=None):
        return len(self._resolutions(current)) > 1

    def close(self, current=None):
        self.server.engines.pop("raw:" + current.id.name, None)
        return NOTHING


@servant(omero.api.ThumbnailStore)
class ThumbnailStore(Base):
    """Accepts the pixels set-up calls; every getThumbnail* call raises
    (not implemented): there is no pixel data."""

    def _st(self, current):
        return self.server.engines.setdefault("thumb:" + current.id.name, {})

    def setPixelsId(self, pid, current=None):
        for p in self.server.visible("Pixels", current):
            if unwrap(p.getId()) == pid:
                self._st(current)["pixels"] = pid
                return True
        raise omero.ValidationException(message="no pixels %s" % pid)

    def setRenderingDefId(self, rid, current=None):
        self._st(current)["rdef"] = rid
        return NOTHING

    def getRenderingDefId(self, current=None):
        return self._st(current).get("rdef", 0)

    def isInProgress(self, current=None):
        return False

    def resetDefaults(self, current=None):
        return NOTHING

    def close(self, current=None):
        self.server.engines.pop("thumb:" + current.id.name, None)
        return NOTHING


# ---------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------

class FakeOmeroServer(object):
    ADMIN_PRIVILEGES = ("Chgrp", "Chown", "DeleteFile", "DeleteManagedRepo",
                        "DeleteOwned", "DeleteScriptRepo", "ModifyGroup",
                        "ModifyGroupMembership", "ModifyUser", "ReadSession",
                        "Sudo", "WriteFile", "WriteManagedRepo", "WriteOwned",
                        "WriteScriptRepo")

    def __init__(self, fixture, host="127.0.0.1", port=0, tcp_port=0,
                 ssl=True, log_file=None, trace=False, keep_sessions=False,
                 strict=True):
        self.fixture = load_fixture(fixture)
        self.host, self._ssl_port, self._tcp_port = host, port, tcp_port
        self.ssl, self.trace, self.keep_sessions = ssl, trace, keep_sessions
        self.strict = strict  # unfetched links come back unloaded, as in OMERO
        self.log_file = log_file
        self.calls, self.queries = [], []
        self._lock = threading.Lock()
        self.engines = {}
        fx = self.fixture
        self.users_fx = {u["id"]: u for u in fx["users"]}
        self.groups_fx = {g["id"]: g for g in fx["groups"]}
        self.users, self.groups, self.objects = build_model(fx)
        self.sessions = {}
        self.routed = {}  # open client connection -> the session it created
        for uuid, s in fx.get("sessions", {}).items():
            self.add_session(s["user"], s.get("group"), uuid)
        self.config = dict(DEFAULT_CONFIG, **fx.get("config", {}))
        self.ic = self.adapter = self._certdir = None

    # -- extensions: fixture pixels and enumerations --
    ENUMERATIONS = {
        "Family": ("linear", "polynomial", "exponential", "logarithmic"),
        "RenderingModel": ("rgb", "greyscale"),
    }

    def pixels_fx(self, pid):
        for img in self.fixture["images"]:
            if img["pixels"]["id"] == pid:
                return img["pixels"]
        raise omero.ValidationException(message="no pixels %s" % pid)

    def enumerations(self, name):
        if name not in self.ENUMERATIONS:
            raise omero.ApiUsageException(
                message="fake OMERO: no enumeration %s" % name)
        with self._lock:
            cache = self.__dict__.setdefault("_enums", {})
            if name not in cache:
                cls = getattr(omero.model, name + "I")
                cache[name] = []
                for i, v in enumerate(self.ENUMERATIONS[name]):
                    e = cls(i + 1, True)
                    e.setValue(rstring(v))
                    cache[name].append(e)
            return list(cache[name])

    # -- sessions and permissions --
    def add_session(self, user_id, group_id=None, uuid=None):
        uuid = uuid or str(uuidlib.uuid4())
        u = self.users_fx[user_id]
        self.sessions[uuid] = dict(uuid=uuid, user=user_id,
                                   group=group_id or u["groups"][0],
                                   started=time.time())
        return uuid

    def login(self, user, password):
        if user == password and user in self.sessions:
            return user
        for u in self.users_fx.values():
            if u["name"] == user and u.get("password") not in (None, "") \
                    and u["password"] == password:
                return self.add_session(u["id"])
        raise Glacier2.PermissionDeniedException(
            "fake OMERO: bad session or credentials")

    def kill_session(self, uuid):
        """End the session ``uuid`` as OMERO does when it expires (idle
        timeout) or an admin kills it: joins with its key are refused and
        every call on its services raises ObjectNotExistException, on
        connections that are open and on new ones.  True if it existed."""
        with self._lock:
            found = self.sessions.pop(uuid, None) is not None
        self._emit(dict(service="control", op="kill_session", found=found))
        return found

    # -- Glacier2: a routed connection serves the session it created --
    @staticmethod
    def _connection_key(con):
        return con.toString() if con is not None else None

    def bind_connection(self, con, uuid):
        """Glacier2 binds a session to the client connection that created
        it; a call arriving on any other connection (a client whose link
        was cut, reconnecting after a restart) finds no object."""
        key = self._connection_key(con)
        if key is None:
            return
        server = self

        class Closed(Ice.ConnectionCallback):
            def heartbeat(self, con):
                pass

            def closed(self, con):
                with server._lock:
                    server.routed.pop(key, None)

        with self._lock:
            self.routed[key] = uuid
        con.setCallback(Closed())

    def check_routed(self, servant, current):
        if isinstance(servant, Router) or current is None:
            return
        key = self._connection_key(current.con)
        with self._lock:
            bound = key in self.routed
            alive = servant.session_uuid(current) in self.sessions
        if not (bound and alive):
            raise Ice.ObjectNotExistException(
                id=current.id, facet=current.facet,
                operation=current.operation)

    def connections(self, uuid=None):
        """Open client connections holding a session (all, or ``uuid``'s)."""
        with self._lock:
            return sum(1 for u in self.routed.values()
                       if uuid is None or u == uuid)

    def member_of(self, s):
        u = self.users_fx[s["user"]]
        return list(self.groups_fx) if u.get("admin") else list(u["groups"])

    def readable_groups(self, s, ctx):
        g = ctx.get("omero.group")
        if g in (None, ""):
            return [s["group"]]
        if int(g) < 0:
            return self.member_of(s)
        if int(g) not in self.member_of(s):
            raise omero.SecurityViolation(
                message="fake OMERO: not a member of group %s" % g)
        return [int(g)]

    def visible(self, entity, current, params=None):
        s = self.sessions.get(current.id.name.split("/")[0])
        if s is None:
            raise omero.SessionException(message="fake OMERO: no session")
        groups = self.readable_groups(s, current.ctx)
        user = self.users_fx[s["user"]]
        cls = getattr(omero.model, entity)
        f = params.theFilter if params else None
        owner_id = unwrap(f.ownerId) if f and f.ownerId else None
        group_id = unwrap(f.groupId) if f and f.groupId else None
        if entity in ("Experimenter", "ExperimenterGroup"):
            pool = list(self.users.values()) + list(self.groups.values())
            return [o for o in pool if isinstance(o, cls)]
        out = []
        for o in self.objects:
            if not isinstance(o, cls):
                continue
            d = o.getDetails()
            gid, oid = unwrap(d.getGroup().getId()), unwrap(d.getOwner().getId())
            if gid not in groups or (owner_id is not None and oid != owner_id)\
                    or (group_id is not None and gid != group_id):
                continue
            private = not d.getPermissions().isGroupRead()
            if private and not (user.get("admin") or oid == user["id"]
                                or gid in user.get("leaderOf", [])):
                continue
            out.append(o)
        return out

    def proxy(self, ident, current):
        """A proxy to `ident` on this adapter, using only endpoints of the
        transport (ssl/tcp) that the calling client is connected with."""
        prx = self.adapter.createProxy(ident)
        kind = current.con.getEndpoint().getInfo().type()
        return prx.ice_endpoints([e for e in prx.ice_getEndpoints()
                                  if e.getInfo().type() == kind])

    # -- logging --
    def log(self, msg):
        sys.stderr.write("fake-omero: %s\n" % msg)

    def record(self, entry):
        with self._lock:
            self.calls.append(entry)
        self._emit(entry)

    def record_query(self, op, query, params, current):
        entry = dict(op=op, query=query, session=current.id.name.split("/")[0],
                     ctx={k: v for k, v in current.ctx.items()
                          if k in ("omero.group", "omero.user")},
                     params=_params_dict(params))
        with self._lock:
            self.queries.append(entry)
        self._emit(dict(entry, kind="query"))

    def _emit(self, entry):
        if self.log_file:
            entry = dict(entry, t=round(time.time(), 4))
            with self._lock, open(self.log_file, "a") as f:
                f.write(json.dumps(entry, default=repr) + "\n")

    def reset_log(self):
        with self._lock:
            del self.calls[:]
            del self.queries[:]

    # -- lifecycle --
    def _properties(self):
        props = {
            "Ice.ThreadPool.Server.Size": "4",
            "Ice.ThreadPool.Server.SizeMax": "16",
            "Ice.ACM.Server.Timeout": "0",  # never drop idle client links
            "Ice.MessageSizeMax": "262144",
        }
        if self.trace:
            props.update({"Ice.Trace.Protocol": "1", "Ice.Trace.Network": "1"})
        if self.ssl:
            self._certdir = tempfile.mkdtemp(prefix="fakeomero-ssl-")
            for cmd in (["req", "-x509", "-newkey", "rsa:2048", "-nodes",
                         "-keyout", "key.pem", "-out", "cert.pem", "-days",
                         "2", "-subj", "/CN=%s" % self.host],
                        ["pkcs12", "-export", "-inkey", "key.pem", "-in",
                         "cert.pem", "-out", "server.p12", "-passout",
                         "pass:fake"]):
                subprocess.run(["openssl"] + cmd, cwd=self._certdir,
                               check=True, capture_output=True)
            props.update({"Ice.Plugin.IceSSL": "IceSSL:createIceSSL",
                          "IceSSL.DefaultDir": self._certdir,
                          "IceSSL.CertFile": "server.p12",
                          "IceSSL.Password": "fake",
                          "IceSSL.VerifyPeer": "0"})
        return props

    def start(self):
        init = Ice.InitializationData()
        init.properties = Ice.createProperties()
        for k, v in self._properties().items():
            init.properties.setProperty(k, v)
        self.ic = Ice.initialize(init)
        ObjectFactoryRegistrar.registerObjectFactory(self.ic, None)
        for of in omero.rtypes.ObjectFactories.values():
            of.register(self.ic)
        eps = ["tcp -h %s -p %d" % (self.host, self._tcp_port)]
        if self.ssl:
            eps.insert(0, "ssl -h %s -p %d" % (self.host, self._ssl_port))
        self.adapter = self.ic.createObjectAdapterWithEndpoints(
            "FakeOmero", ":".join(eps))
        self.adapter.add(Router(self), Ice.Identity("router", "OMERO.Glacier2"))
        for cat, cls in (("ServiceFactory", ServiceFactory),
                         ("IQuery", Query), ("IContainer", Container),
                         ("IAdmin", Admin),
                         ("IConfig", Config), ("ISession", Session),
                         ("RenderingEngine", RenderingEngine),
                         ("ITypes", Types), ("IScript", Script),
                         ("ThumbnailStore", ThumbnailStore),
                         ("RawPixelsStore", RawPixelsStore)):
            self.adapter.addDefaultServant(cls(self), cat)
        self.adapter.activate()
        for e in self.adapter.getEndpoints():
            info = e.getInfo()
            if info.type() == Ice.TCPEndpointType:
                self._tcp_port = info.port
            else:
                self._ssl_port = info.port
        self.config.setdefault(
            "omero.router.insecure",
            "OMERO.Glacier2/router:tcp -p %d -h @omero.host@" % self._tcp_port)
        return self

    @property
    def port(self):
        """The port clients should use (SSL, like OMERO's 4064)."""
        return self._ssl_port if self.ssl else self._tcp_port

    @property
    def tcp_port(self):
        return self._tcp_port

    @property
    def running(self):
        return self.ic is not None

    def stop(self):
        """Server down: every connection is cut and the ports refuse new
        ones.  Sessions live on (OMERO keeps them in its database), but the
        Glacier2 bindings of the cut connections are gone.  ``start()``
        brings the server back on the same ports."""
        if self.ic is not None:
            self.ic.destroy()
            self.ic = None
            with self._lock:
                self.routed.clear()
            self._emit(dict(service="control", op="stop"))
        if self._certdir:
            shutil.rmtree(self._certdir, ignore_errors=True)
            self._certdir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class ControlServer(object):
    """An HTTP control on loopback, so a test in another process (OMERO.web
    under test) can expire a session or take the server down and back:

    * ``GET /state[?session=UUID]`` -> ``{"running", "sessions",
      "connections", "session_alive"}`` (``connections``: open client
      connections holding a session, all or UUID's);
    * ``POST /kill_session?session=UUID`` -> ``{"found": bool}``;
    * ``POST /stop``, ``POST /start`` -> ``{"running": bool}``.

    Request lines are never logged (they carry session keys)."""

    def __init__(self, server, host="127.0.0.1", port=0):
        self.server, self.host, self.port = server, host, port
        self.httpd = None

    def handle(self, method, path, query):
        srv = self.server
        session = query.get("session", [None])[0]
        if method == "GET" and path == "/state":
            return dict(running=srv.running, sessions=len(srv.sessions),
                        connections=srv.connections(session),
                        session_alive=None if session is None
                        else session in srv.sessions)
        if method == "POST" and path == "/kill_session" and session:
            return dict(found=srv.kill_session(session))
        if method == "POST" and path == "/stop":
            srv.stop()
            return dict(running=srv.running)
        if method == "POST" and path == "/start":
            if not srv.running:
                srv.start()
            return dict(running=srv.running)
        return None

    def start(self):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import parse_qs, urlsplit
        control = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                url = urlsplit(self.path)
                try:
                    body = control.handle(self.command, url.path,
                                          parse_qs(url.query))
                    status = 404 if body is None else 200
                except Exception as e:  # report, never hang the caller
                    body, status = dict(error=repr(e)), 500
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer((self.host, self.port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    @property
    def url(self):
        return "http://%s:%d" % (self.host, self.port)

    def stop(self):
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def control(url, action, method="POST", **query):
    """Call a :class:`ControlServer` (``control(url, "kill_session",
    session=uuid)``, ``control(url, "state", "GET")``); returns its JSON."""
    from urllib.parse import urlencode
    from urllib.request import Request, urlopen

    target = "%s/%s" % (url, action)
    if query:
        target += "?" + urlencode(query)
    with urlopen(Request(target, method=method, data=b"" if method == "POST"
                         else None), timeout=30) as r:
        return json.loads(r.read())


def _params_dict(params):
    if params is None:
        return None
    out = {k: unwrap(v) for k, v in (params.map or {}).items()}
    f = params.theFilter
    if f is not None:
        out["theFilter"] = {k: unwrap(getattr(f, k)) for k in
                            ("offset", "limit", "ownerId", "groupId")
                            if getattr(f, k, None) is not None}
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fixture", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=4064, help="SSL port")
    ap.add_argument("--tcp-port", type=int, default=4063)
    ap.add_argument("--no-ssl", action="store_true")
    ap.add_argument("--log-file")
    ap.add_argument("--keep-sessions", action="store_true",
                    help="ISession.closeSession does not end sessions")
    ap.add_argument("--trace", action="store_true",
                    help="Ice.Trace.Protocol/Network on stderr")
    ap.add_argument("--loose", action="store_true",
                    help="return every reachable link loaded (not like OMERO)")
    ap.add_argument("--control-port", type=int,
                    help="serve the HTTP control (ControlServer) here")
    ap.add_argument("--max-seconds", type=float, default=3600,
                    help="stop by itself after this long (default 1 hour)")
    a = ap.parse_args(argv)
    srv = FakeOmeroServer(a.fixture, a.host, a.port, a.tcp_port,
                          ssl=not a.no_ssl, log_file=a.log_file,
                          trace=a.trace, keep_sessions=a.keep_sessions,
                          strict=not a.loose).start()
    print("fake OMERO listening: ssl=%s tcp=%s pid=%d" % (
        srv.port if srv.ssl else None, srv.tcp_port, os.getpid()), flush=True)
    ctl = None
    if a.control_port is not None:
        ctl = ControlServer(srv, a.host, a.control_port).start()
        print("fake OMERO control: %s" % ctl.url, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait(a.max_seconds)
    except KeyboardInterrupt:
        pass
    finally:
        if ctl is not None:
            ctl.stop()
        srv.stop()


if __name__ == "__main__":
    main()

"""somnus configuration: the parameter table of src/core/config.c from Python."""

import os

from ._lib import ffi, lib, new_error, check, text, SomnusError

_TYPES = {lib.SM_PT_REAL: "real", lib.SM_PT_INT: "int", lib.SM_PT_INT64: "int64",
          lib.SM_PT_BOOL: "bool", lib.SM_PT_ENUM: "enum", lib.SM_PT_STRING: "string"}


def _table():
    n = ffi.new("size_t *")
    rows = lib.sm_param_table(n)
    return [rows[i] for i in range(n[0])]


def parameters():
    """The parameter table as a list of dicts (name, type, default, min, max, unit,
    choices, help), in documentation order (`somnus config --list`)."""
    out = []
    for d in _table():
        out.append({
            "name": ffi.string(d.name).decode(),
            "type": _TYPES[d.type],
            "default": getattr(d, "def"),
            "min": d.min, "max": d.max,
            "unit": ffi.string(d.unit).decode() if d.unit != ffi.NULL else "",
            "choices": ffi.string(d.choices).decode().split("|") if d.choices != ffi.NULL
            else None,
            "help": ffi.string(d.help).decode() if d.help != ffi.NULL else "",
        })
    return out


def _value_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


class Config:
    """A somnus configuration (sm_config): every parameter of the table, by "group.name".

        cfg = somnus.Config()                          # defaults (the paper config)
        cfg = somnus.Config("run.cfg")                 # defaults, then a config file
        cfg = somnus.Config({"run.seed": 3, "sleep": {"rate": 0.2}})
        cfg["lif_e.tau_m"] = 25                        # checked against the table
        cfg["stdp.rule"]                               # -> "pair"

    Values are checked as `--set` checks them; a bad one raises SomnusError with
    somnus's message, which names the key. validate() runs the cross-parameter checks
    (the simulation, train, sweep and experiments validate too)."""

    def __init__(self, source=None, **overrides):
        self._c = ffi.new("sm_config *")
        lib.sm_config_default(self._c)
        if source is None:
            pass
        elif isinstance(source, Config):
            ffi.memmove(self._c, source._c, ffi.sizeof("sm_config"))
        elif isinstance(source, dict):
            self.update(source)
        elif isinstance(source, (str, bytes, os.PathLike)):
            self.load(source)
        else:
            raise TypeError("Config(source): a dict, a file path or a Config, not %s"
                            % type(source).__name__)
        if overrides:
            self.update({k.replace("__", "."): v for k, v in overrides.items()})

    # ---- file and dict input
    def load(self, path):
        """Applies a config file (JSON, or lines of group.name = value) on top."""
        err = new_error()
        check(lib.sm_config_load(self._c, text(path), err), err)
        return self

    def update(self, values, origin="Config"):
        """Applies {"group.name": value} or nested {"group": {"name": value}} in order."""
        for key, value in _flatten(values):
            self.set(key, value, origin)
        return self

    # ---- single parameters
    def set(self, name, value, origin="Config"):
        err = new_error()
        check(lib.sm_config_set(self._c, text(name), text(_value_text(value)), text(origin),
                                err), err)

    def get(self, name):
        d = lib.sm_param_find(text(name))
        if d == ffi.NULL:
            # sm_config_set's message suggests the closest name
            err = new_error()
            probe = ffi.new("sm_config *")
            lib.sm_config_set(probe, text(name), b"0", b"python", err)
            raise KeyError(ffi.string(err.msg).decode() or name)
        if d.type in (lib.SM_PT_REAL,):
            return lib.sm_config_get(self._c, d)
        if d.type in (lib.SM_PT_INT, lib.SM_PT_INT64):
            return int(lib.sm_config_get(self._c, d))
        if d.type == lib.SM_PT_BOOL:
            return bool(lib.sm_config_get(self._c, d))
        buf = ffi.new("char[]", 512)
        lib.sm_config_format(self._c, d, buf, 512)
        return ffi.string(buf).decode()

    def __getitem__(self, name):
        return self.get(name)

    def __setitem__(self, name, value):
        self.set(name, value)

    def __contains__(self, name):
        return lib.sm_param_find(text(name)) != ffi.NULL

    def keys(self):
        return [ffi.string(d.name).decode() for d in _table()]

    def __iter__(self):
        return iter(self.keys())

    def to_dict(self):
        """{"group.name": value} for every parameter, in table order."""
        return {k: self.get(k) for k in self.keys()}

    def validate(self):
        """Cross-parameter checks (sm_config_validate); raises SomnusError."""
        err = new_error()
        check(lib.sm_config_validate(self._c, err), err)
        return self

    def copy(self):
        return Config(self)

    def __eq__(self, other):
        return isinstance(other, Config) and self.to_dict() == other.to_dict()

    def __repr__(self):
        changed = {k: v for k, v in self.to_dict().items() if v != _DEFAULTS.get(k)}
        return "somnus.Config(%r)" % changed


def _flatten(values, prefix=""):
    for k, v in values.items():
        key = prefix + str(k)
        if isinstance(v, dict):
            yield from _flatten(v, key + ".")
        else:
            yield key, v


def as_config(cfg):
    """A Config from a Config, a dict, a path or None (defaults)."""
    return cfg if isinstance(cfg, Config) else Config(cfg)


def _leaves(ctype, base=0, out=None):
    """{byte offset: C type name} of every scalar (and char array) inside a struct."""
    out = {} if out is None else out
    if ctype.kind == "struct":
        for _name, f in ctype.fields:
            _leaves(f.type, base + f.offset, out)
    elif ctype.kind == "array" and ctype.item.cname != "char":
        for k in range(ctype.length):
            _leaves(ctype.item, base + k * ffi.sizeof(ctype.item), out)
    else:
        out[base] = ctype.cname
    return out


_LEAF_TYPE = {lib.SM_PT_REAL: ("double",), lib.SM_PT_INT: ("int",),
              lib.SM_PT_INT64: ("int64_t",), lib.SM_PT_BOOL: ("int",),
              lib.SM_PT_ENUM: ("int",), lib.SM_PT_STRING: ("char[256]",)}


def _check_layout():
    """Every parameter of the library's table must sit, in _cdef.py's sm_config, at the
    same byte offset and with a matching type; otherwise _cdef.py is out of date with
    include/somnus/core/config.h and the package refuses to load."""
    leaves = _leaves(ffi.typeof("sm_config"))
    for d in _table():
        got = leaves.get(d.offset)
        if got not in _LEAF_TYPE[d.type]:
            raise ImportError(
                "somnus: parameter %s (byte %d) does not match sm_config in _cdef.py "
                "(found %s there): the declarations are out of date with libsomnus"
                % (ffi.string(d.name).decode(), d.offset, got))


_check_layout()
_DEFAULTS = Config().to_dict()

"""The emulated modem's AT command set: a table from command to handler.

`dispatch(emu, line)` finds the handler of one command line: first by the whole command
(ATZ, ATE0, AT+VTX ...), then by its prefix for commands that take an argument (AT+FCLASS=8,
AT+VSM=128,8000 ...). A command in neither table is answered ERROR, as a modem does. What a
command answers per chipset (identity strings, codec list, caller-ID switches) comes from the
modem's Family (drivers/modem/families.py), the same description the driver uses.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..dle import ModemStream

if TYPE_CHECKING:
    from .core import ModemEmulator

RATE = 8000

Handler = Callable[["ModemEmulator", str, str], None]  # (emulator, command body, argument after the prefix)


def _reset(emu: ModemEmulator, body: str, arg: str) -> None:
    if body:  # Z, Z0, &F: back to defaults (plain AT only answers OK)
        emu.echo, emu.verbose, emu.fclass, emu.vcid = True, True, 0, 0
        if emu.offhook:
            emu._hangup()
    emu._final(True)


def _echo(emu: ModemEmulator, body: str, arg: str) -> None:
    emu.echo = body == "E1"
    emu._final(True)


def _verbose(emu: ModemEmulator, body: str, arg: str) -> None:
    emu.verbose = body == "V1"
    emu._final(True)


_IDENTITY_QUERY = {"I0": "ATI", "I": "ATI", "I3": "ATI3", "+FMI": "AT+FMI", "+GMI": "AT+FMI", "+GMM": "AT+GMM"}


def _identity(emu: ModemEmulator, body: str, arg: str) -> None:
    for text in emu.family.identity[_IDENTITY_QUERY[body]]:
        emu._result(text)
    emu._final(True)


def _query_or_set(emu: ModemEmulator, arg: str, current: str, choices: str, set_to: Callable[[int], None],
                  test: str | None) -> None:
    """The shape shared by +FCLASS and the caller-ID switches: `?` reads, `=?` lists (where the
    command answers it), `=n` sets."""
    if arg == "=?" and test is not None:
        emu._result(test)
        emu._final(True)
    elif arg == "?":
        emu._result(current)
        emu._final(True)
    elif arg[:1] == "=" and arg[1:] in choices.split(","):
        set_to(int(arg[1:]))
        emu._final(True)
    else:
        emu._final(False)


def _fclass(emu: ModemEmulator, body: str, arg: str) -> None:
    _query_or_set(emu, arg, str(emu.fclass), "0,1,8", lambda n: setattr(emu, "fclass", n), "0,1,8")


def _caller_id(emu: ModemEmulator, body: str, arg: str) -> None:
    switch = "AT" + body[:len(body) - len(arg)]
    if switch not in emu.family.cid_switches or (switch == "AT+VCID" and not emu.vcid_supported):
        emu._final(False)
        return
    _query_or_set(emu, arg, str(emu.vcid), "0,1,2", lambda n: setattr(emu, "vcid", n), None)


def _country(emu: ModemEmulator, body: str, arg: str) -> None:
    countries = emu.family.countries
    if arg == "?":
        emu._result(f"+GCI: {emu.gci}")
    elif arg == "=?":
        emu._result("+GCI: (" + ",".join(sorted(countries)) + ")")
    elif arg.startswith("=") and arg[1:] in countries:
        emu.gci = arg[1:]
    else:
        emu._final(False)
        return
    emu._final(True)


def _codec(emu: ModemEmulator, body: str, arg: str) -> None:
    if arg == "=?":
        for text in emu.family.vsm.values():
            emu._result(text)
        emu._final(True)
        return
    try:
        codec, rate = (int(x) for x in arg[1:].split(",")[:2])
    except ValueError:
        emu._final(False)
        return
    ok = emu.fclass == 8 and codec in emu.family.vsm and rate == RATE
    if ok:
        emu.vsm = codec
    emu._final(ok)


def _voice_setting(emu: ModemEmulator, body: str, arg: str) -> None:
    emu._final(emu.fclass == 8)  # accepted in voice class, not acted on


def _off_hook(emu: ModemEmulator, body: str, arg: str) -> None:
    if emu.fclass != 8 and body != "A":
        emu._final(False)
        return
    emu._offhook()
    emu._final(True)


def _on_hook(emu: ModemEmulator, body: str, arg: str) -> None:
    emu._hangup()
    emu._final(True)


def _transmit(emu: ModemEmulator, body: str, arg: str) -> None:
    if emu.fclass != 8 or not emu.offhook:
        emu._final(False)
        return
    emu.mode = "tx"
    emu._tx = ModemStream()
    emu._tx.enter_audio()
    emu._result("CONNECT")


def _receive(emu: ModemEmulator, body: str, arg: str) -> None:
    if emu.fclass != 8 or not emu.offhook:
        emu._final(False)
        return
    emu._start_rx()


def _tone(emu: ModemEmulator, body: str, arg: str) -> None:
    emu._final(emu.fclass == 8 and emu.offhook)


EXACT: dict[str, Handler] = {
    "": _reset, "Z": _reset, "Z0": _reset, "&F": _reset,
    "E": _echo, "E0": _echo, "E1": _echo,
    "V": _verbose, "V0": _verbose, "V1": _verbose,
    **dict.fromkeys(_IDENTITY_QUERY, _identity),
    "A": _off_hook, "+VLS=1": _off_hook,
    "H": _on_hook, "H0": _on_hook, "+VLS=0": _on_hook,
    "+VTX": _transmit,
    "+VRX": _receive,
}

PREFIXED: dict[str, Handler] = {
    "+FCLASS": _fclass,
    "+VCID": _caller_id, "-SCID": _caller_id, "#CID": _caller_id,
    "+GCI": _country,
    "+VSM": _codec,
    **dict.fromkeys(("+VSD", "+VIT", "+VGT", "+VGR", "+VRA", "+VRN", "+VEN", "+VDR"), _voice_setting),
    "+VTS": _tone,
}


def dispatch(emu: ModemEmulator, line: str) -> None:
    """Answer one command line as the modem would."""
    cmd = line.upper()
    emu.commands.append(cmd)
    if cmd.startswith("+++"):
        return
    if not cmd.startswith("AT"):
        emu._final(False)
        return
    body = cmd[2:]
    handler = EXACT.get(body)
    if handler is not None:
        handler(emu, body, "")
        return
    for prefix, handler in PREFIXED.items():
        if body.startswith(prefix):
            handler(emu, body, body[len(prefix):])
            return
    emu._final(False)

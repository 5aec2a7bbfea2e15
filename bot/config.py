"""Configuration: the municipality's facts from `municipality.yml`, the deployment from the environment.

A municipality edits one file; operators set environment variables. Nothing else is read at run time,
and everything is passed to the code that needs it rather than read from module globals.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MUNICIPALITY_FILE = PROJECT_ROOT / "municipality.yml"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CLOSED = "lukket"
_INTERVAL = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*-\s*(\d{1,2})[:.](\d{2})\s*$")


class ConfigError(ValueError):
    """The configuration file says something that cannot be right; the message says where."""


Interval = tuple[time, time]


def env_number(env: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    """A number from the environment: `default` when unset, a clear ConfigError when wrong."""
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"environment: {name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"environment: {name} must be at least {minimum}")
    return value


DEFAULT_REDIS_KEY_PREFIX = "borgerhjaelp"


def redis_key_prefix(env: Mapping[str, str]) -> str:
    """REDIS_KEY_PREFIX: what this installation's keys and channels in Redis start with.

    Rasa's lock keys and the gateway's delivery channels both use it, so two installations can share
    one Redis. Letters and digits only: Rasa drops any other lock prefix with only a warning, and
    the installations would then share their locks.
    """
    prefix = (env.get("REDIS_KEY_PREFIX") or "").strip() or DEFAULT_REDIS_KEY_PREFIX
    if not prefix.isalnum():
        raise ConfigError(f"environment: REDIS_KEY_PREFIX must be letters and digits only, got {prefix!r}")
    return prefix


@dataclass(frozen=True)
class Borgerservice:
    phone: str
    email: str
    address: str
    booking_url: str


@dataclass(frozen=True)
class DayException:
    day: date
    hours: tuple[Interval, ...]  # empty: closed all day
    note: str = ""


@dataclass(frozen=True)
class Municipality:
    name: str
    borgerservice: Borgerservice
    timezone: ZoneInfo
    opening_hours: Mapping[int, tuple[Interval, ...]]  # weekday (0 = Monday) -> intervals
    exceptions: Mapping[date, DayException]
    national: Mapping[str, str]
    retention_days: int
    raw: Mapping[str, Any] = field(repr=False)

    def hours_on(self, day: date) -> tuple[tuple[Interval, ...], DayException | None]:
        """Opening hours on a given date, and the exception that set them if any."""
        exception = self.exceptions.get(day)
        if exception is not None:
            return exception.hours, exception
        return self.opening_hours.get(day.weekday(), ()), None

    def is_open_at(self, moment: datetime) -> bool:
        local = moment.astimezone(self.timezone)
        intervals, _ = self.hours_on(local.date())
        return any(start <= local.time() < end for start, end in intervals)

    def answer_values(self) -> dict[str, str]:
        """Values the answers quote by name, e.g. `{borgerservice_phone}` in a response."""
        values = {
            "municipality_name": self.name,
            "borgerservice_phone": self.borgerservice.phone,
            "borgerservice_email": self.borgerservice.email,
            "borgerservice_address": self.borgerservice.address,
            "borgerservice_booking_url": self.borgerservice.booking_url,
            "retention_days": str(self.retention_days),
        }
        values.update(self.national)
        return values


def parse_intervals(value: Any, where: str) -> tuple[Interval, ...]:
    if value is None or (isinstance(value, str) and value.strip().lower() == CLOSED):
        return ()
    if not isinstance(value, list):
        raise ConfigError(f"{where}: expected '{CLOSED}' or a list like [\"10:00-15:00\"], got {value!r}")
    intervals = []
    for item in value:
        match = _INTERVAL.match(str(item))
        if not match:
            raise ConfigError(f"{where}: '{item}' is not an interval like 10:00-15:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        try:
            start, end = time(h1, m1), time(h2, m2)
        except ValueError as error:
            raise ConfigError(f"{where}: '{item}' is not a real time ({error})") from None
        if end <= start:
            raise ConfigError(f"{where}: '{item}' ends before it starts")
        intervals.append((start, end))
    return tuple(sorted(intervals))


def _require(mapping: Mapping[str, Any], key: str, where: str) -> Any:
    if not isinstance(mapping, Mapping) or key not in mapping or mapping[key] in (None, ""):
        raise ConfigError(f"{where}: '{key}' is missing")
    return mapping[key]


def parse_municipality(raw: Mapping[str, Any], retention_days: int = 30) -> Municipality:
    section = _require(raw, "municipality", "municipality.yml")
    service = _require(section, "borgerservice", "municipality")
    borgerservice = Borgerservice(
        phone=str(_require(service, "phone", "municipality.borgerservice")),
        email=str(service.get("email", "")),
        address=str(_require(service, "address", "municipality.borgerservice")),
        booking_url=str(service.get("booking_url", "")),
    )
    hours_section = _require(raw, "opening_hours", "municipality.yml")
    unknown = set(hours_section) - set(WEEKDAYS)
    if unknown:
        raise ConfigError(f"opening_hours: unknown weekday(s) {sorted(unknown)}; use {', '.join(WEEKDAYS)}")
    opening_hours = {
        index: parse_intervals(hours_section.get(name), f"opening_hours.{name}") for index, name in enumerate(WEEKDAYS)
    }
    exceptions: dict[date, DayException] = {}
    for position, item in enumerate(raw.get("opening_hours_exceptions") or []):
        where = f"opening_hours_exceptions[{position}]"
        day = _require(item, "date", where)
        if not isinstance(day, date):
            try:
                day = date.fromisoformat(str(day))
            except ValueError:
                raise ConfigError(f"{where}: '{day}' is not a date like 2026-12-24") from None
        exceptions[day] = DayException(day, parse_intervals(item.get("hours"), where), str(item.get("note", "")))
    try:
        zone = ZoneInfo(str(section.get("timezone", "Europe/Copenhagen")))
    except Exception:
        raise ConfigError(f"municipality.timezone: unknown time zone {section.get('timezone')!r}") from None
    return Municipality(
        name=str(_require(section, "name", "municipality")),
        borgerservice=borgerservice,
        timezone=zone,
        opening_hours=opening_hours,
        exceptions=exceptions,
        national={str(k): str(v) for k, v in (raw.get("national") or {}).items()},
        retention_days=retention_days,
        raw=raw,
    )


def load_municipality(path: str | Path | None = None, retention_days: int | None = None) -> Municipality:
    path = Path(path or os.environ.get("MUNICIPALITY_CONFIG") or DEFAULT_MUNICIPALITY_FILE)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML ({error})") from None
    if retention_days is None:
        retention_days = Settings.from_env().retention_days
    return parse_municipality(raw, retention_days)


@dataclass(frozen=True)
class Settings:
    """How this installation runs: addresses, secrets and limits, from environment variables."""

    database_url: str
    rasa_url: str
    rasa_token: str
    action_server_url: str
    gateway_host: str
    gateway_port: int
    allowed_origins: tuple[str, ...]
    retention_days: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        from bot.store.db import DEFAULT_DATABASE_URL

        env = os.environ if env is None else env
        try:
            retention_days = int(env.get("RETENTION_DAYS", "30"))
            gateway_port = int(env.get("GATEWAY_PORT", "8000"))
        except ValueError as error:
            raise ConfigError(f"environment: {error}") from None
        if retention_days < 1:
            raise ConfigError("environment: RETENTION_DAYS must be at least 1")
        origins = tuple(o.strip() for o in env.get("ALLOWED_ORIGINS", "").split(",") if o.strip())
        return cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            rasa_url=env.get("RASA_URL", "http://127.0.0.1:5005").rstrip("/"),
            rasa_token=env.get("RASA_TOKEN", ""),
            action_server_url=env.get("ACTION_SERVER_URL", "http://127.0.0.1:5055/webhook"),
            gateway_host=env.get("GATEWAY_HOST", "127.0.0.1"),
            gateway_port=gateway_port,
            allowed_origins=origins,
            retention_days=retention_days,
        )

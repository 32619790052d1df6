"""Where nianbao reads and writes: one object used by the CLI, the Dagster resource, the sensor and the dashboard.

Everything written lives under one folder (`NIANBAO_VAR`; in a checkout `var/`, elsewhere `./var`). The published
copy the dashboard opens follows the warehouse it was made from (`<warehouse folder>/published/nianbao.duckdb`)
unless `NIANBAO_PUBLISHED` or `--published` names it, so a test warehouse never overwrites what leaders look at.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
PUBLISHED_NAME = "nianbao.duckdb"


def _in_checkout() -> bool:
    return (CHECKOUT / "seeds").is_dir() and (CHECKOUT / "pyproject.toml").is_file()


def default_var() -> Path:
    env = os.environ.get("NIANBAO_VAR")
    if env:
        return Path(env).resolve()
    return (CHECKOUT / "var") if _in_checkout() else (Path.cwd() / "var").resolve()


def seeds_dir() -> Path | None:
    """The bundled seeds (real seed report, demo settings): present in a checkout, absent from a bare install."""
    return CHECKOUT / "seeds" if _in_checkout() else None


def shard_root_for(warehouse: Path) -> str:
    """The default shard folder of a warehouse: `<stem>-shards` beside it."""
    return str(warehouse.with_name(warehouse.stem + "-shards"))


def published_for(warehouse: Path) -> Path:
    return warehouse.parent / "published" / PUBLISHED_NAME


@dataclass(frozen=True)
class Paths:
    var: Path
    warehouse: Path
    published: Path
    store: Path
    inbox_dirs: tuple[Path, ...] = field(default_factory=tuple)

    @property
    def user_inbox(self) -> Path:
        return self.var / "inbox"

    @property
    def demo_inbox(self) -> Path:
        return self.var / "demo"

    @property
    def shards(self) -> str:
        """Parquet shards of parsed documents: NIANBAO_SHARDS (a folder or an s3:// URL), else beside the warehouse."""
        return os.environ.get("NIANBAO_SHARDS") or shard_root_for(self.warehouse)

    @property
    def fetched_inbox(self) -> Path:
        """Where `nianbao fetch` writes what it downloads (inside the user inbox, so every run picks it up)."""
        return self.user_inbox / "fetched"

    @property
    def sources(self) -> Path | None:
        """The source registry: NIANBAO_SOURCES, else var/sources.yaml, else the bundled seeds/sources.yaml."""
        env = os.environ.get("NIANBAO_SOURCES")
        if env:
            return Path(env)
        if (self.var / "sources.yaml").is_file():
            return self.var / "sources.yaml"
        seeds = seeds_dir()
        return seeds / "sources.yaml" if seeds and (seeds / "sources.yaml").is_file() else None

    @property
    def lock(self) -> Path:
        from .lock import lock_path

        return lock_path(self.warehouse)

    @property
    def dagster_home(self) -> Path:
        return self.var / "dagster_home"

    @classmethod
    def resolve(
        cls,
        var: str | Path | None = None,
        warehouse: str | Path | None = None,
        published: str | Path | None = None,
        inbox: str | Path | None = None,
    ) -> Paths:
        """Defaults from the environment, then explicit arguments win. The published copy derives from the warehouse."""
        var_dir = Path(var).resolve() if var else default_var()
        warehouse_path = Path(
            warehouse or os.environ.get("NIANBAO_WAREHOUSE") or var_dir / "warehouse.duckdb"
        ).resolve()
        # an explicit warehouse publishes beside itself: NIANBAO_PUBLISHED names only the default warehouse's copy
        published_path = (
            published or (None if warehouse else os.environ.get("NIANBAO_PUBLISHED")) or published_for(warehouse_path)
        )
        inbox = inbox or os.environ.get("NIANBAO_INBOX")  # set by `nianbao run --inbox` for its worker processes
        if inbox:
            inboxes: tuple[Path, ...] = tuple(Path(p).resolve() for p in str(inbox).split(os.pathsep) if p)
        else:
            seeds = seeds_dir()
            inboxes = ((seeds / "inbox",) if seeds else ()) + (var_dir / "demo", var_dir / "inbox")
        return cls(
            var=var_dir,
            warehouse=warehouse_path,
            published=Path(published_path).resolve(),
            store=var_dir / "store",
            inbox_dirs=inboxes,
        )

    def with_inbox(self, *dirs: str | Path) -> Paths:
        return replace(self, inbox_dirs=tuple(Path(d).resolve() for d in dirs))

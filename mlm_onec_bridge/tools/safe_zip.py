# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Unpack the zip archives 1C uploads (``zip=yes``) without trusting them.

Plain Python, no ORM. Refused: absolute paths, ``..`` components, symbolic links, more members
than allowed, a declared or actual uncompressed size above the limit, a compression ratio typical
of zip bombs. Members are streamed to disk in chunks and the real byte count is enforced while
writing, so a member lying about its size cannot exceed the limit either. On any refusal,
everything already extracted from this archive is removed again.
"""

import os
import stat
import zipfile

CHUNK = 1024 * 1024


class UnsafeZipError(ValueError):
    """The archive is refused; ``str(exc)`` is the reason."""


def _target_path(dest_dir, member_name):
    name = member_name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise UnsafeZipError(f"absolute path in archive: {member_name!r}")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if not parts or any(part == ".." for part in parts):
        raise UnsafeZipError(f"path traversal in archive: {member_name!r}")
    root = os.path.realpath(dest_dir)
    target = os.path.realpath(os.path.join(root, *parts))
    if os.path.commonpath([root, target]) != root:
        raise UnsafeZipError(f"path traversal in archive: {member_name!r}")
    return target


def safe_extract(zip_path, dest_dir, max_total=1024**3, max_members=100000, max_ratio=200):
    """Extract ``zip_path`` into ``dest_dir``; return the list of extracted relative paths."""
    written = []
    total = 0
    try:
        with zipfile.ZipFile(zip_path) as archive:
            infos = archive.infolist()
            if len(infos) > max_members:
                raise UnsafeZipError(f"too many members in archive ({len(infos)} > {max_members})")
            declared = sum(info.file_size for info in infos)
            if declared > max_total:
                raise UnsafeZipError(f"archive would unpack to {declared} bytes (limit {max_total})")
            for info in infos:
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    raise UnsafeZipError(f"symbolic link in archive: {info.filename!r}")
                target = _target_path(dest_dir, info.filename)
                if info.is_dir():
                    os.makedirs(target, exist_ok=True)
                    continue
                if info.compress_size and info.file_size / info.compress_size > max_ratio and info.file_size > CHUNK:
                    raise UnsafeZipError(f"suspicious compression ratio for {info.filename!r} (zip bomb?)")
                os.makedirs(os.path.dirname(target), exist_ok=True)
                written.append(target)
                with archive.open(info) as src, open(target, "wb") as dst:
                    while True:
                        chunk = src.read(CHUNK)
                        if not chunk:
                            break
                        total += len(chunk)
                        if total > max_total:
                            raise UnsafeZipError(f"archive unpacks to more than {max_total} bytes")
                        dst.write(chunk)
    except zipfile.BadZipFile as exc:
        _remove(written)
        raise UnsafeZipError(f"not a valid zip archive: {exc}") from exc
    except UnsafeZipError:
        _remove(written)
        raise
    root = os.path.realpath(dest_dir)
    return [os.path.relpath(path, root) for path in written]


def _remove(paths):
    for path in paths:
        if os.path.exists(path):
            os.remove(path)

"""The freedesktop menu entry (Linux): a .desktop file and the app's icon in the user's XDG data
folder, so webhook-desk appears in the menu and the dock with its name and icon."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from webhook_desk.errors import UserError
from webhook_desk.settings import APP_NAME, resources_dir

# Characters that make an Exec argument need quoting (Desktop Entry spec, "The Exec key").
EXEC_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def data_home() -> Path:
    """$XDG_DATA_HOME when set to an absolute path (as the XDG spec says), else ~/.local/share."""
    configured = os.environ.get("XDG_DATA_HOME", "")
    if configured and Path(configured).is_absolute():
        return Path(configured)
    return Path.home() / ".local" / "share"


def launch_command() -> list[str]:
    """How the menu starts this very installation: the AppImage (its runtime sets $APPIMAGE;
    the bundle inside it is a mount that goes away), the bundle's program, the `webhook-desk`
    script that runs now, or this Python with `-m webhook_desk`."""
    if getattr(sys, "frozen", False):
        return [os.environ.get("APPIMAGE") or sys.executable]
    script = Path(sys.argv[0])
    if script.name == APP_NAME and script.is_file():
        return [str(script.absolute())]
    return [sys.executable, "-m", "webhook_desk"]


def exec_argument(argument: str) -> str:
    """One Exec argument: quoted when needed, with the spec's escapes inside the quotes, then
    escaped again as a desktop-file string value; a literal % doubled."""
    if any(char in EXEC_RESERVED for char in argument):
        inner = "".join(f"\\{char}" if char in '"`$\\' else char for char in argument)
        argument = f'"{inner}"'
    return argument.replace("\\", "\\\\").replace("%", "%%")


def desktop_entry(command: list[str]) -> str:
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Version=1.4",
            "Name=Webhook Desk",
            "GenericName=Webhook Console",
            "Comment=Register, fire, receive and analyse clinical-study webhooks",
            f"Exec={' '.join(exec_argument(argument) for argument in command)}",
            f"Icon={APP_NAME}",
            "Terminal=false",
            "Categories=Development;",
            "Keywords=webhook;CentrePoint;ECG;",
            f"StartupWMClass={APP_NAME}",
            "",
        ]
    )


def install() -> tuple[Path, Path]:
    """Write the entry and the icon under data_home(); returns their paths."""
    home = data_home()
    entry = home / "applications" / f"{APP_NAME}.desktop"
    icon = home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_NAME}.svg"
    try:
        icon.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(resources_dir() / "icons" / "app.svg", icon)
        entry.parent.mkdir(parents=True, exist_ok=True)
        entry.write_text(desktop_entry(launch_command()), encoding="utf-8")
    except OSError as exc:
        raise UserError(
            f"Cannot install the menu entry under {home}: {exc.strerror or exc}."
        ) from None
    return entry, icon

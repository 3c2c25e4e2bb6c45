"""Names that become folder names: scenarios (``results/<name>/``) and sweeps.

A name is checked against one documented rule rather than used as a path, so no name can
place a folder outside the results root (``..``, ``/``, an absolute path), hide it (a leading
dot), split an error line (a newline) or fail on the file system (a NUL, too many bytes).
"""

from __future__ import annotations

#: Longest name, characters: at most 4 bytes each in UTF-8, within the 255-byte file-name
#: limit of common file systems.
MAX_NAME = 60
#: The rule, as error messages and ``docs/guarantees.md`` state it.
NAME_RULE = f"1 to {MAX_NAME} letters, digits, '_', '-' or '.', starting with a letter or digit"


def is_folder_name(name: str) -> bool:
    """Whether ``name`` follows :data:`NAME_RULE`."""
    return (
        0 < len(name) <= MAX_NAME
        and name[0].isalnum()
        and all(c.isalnum() or c in "_-." for c in name)
    )


def folder_name(text: str, fallback: str = "scenario") -> str:
    """``text`` made to follow :data:`NAME_RULE`: other characters become ``_``, leading
    ones that are not letters or digits are dropped, and the result is cut to ``MAX_NAME``.
    Used for names taken from a file name, which the user did not choose as a name."""
    name = "".join(c if c.isalnum() or c in "_-." else "_" for c in text)
    while name and not name[0].isalnum():
        name = name[1:]
    return name[:MAX_NAME] or fallback

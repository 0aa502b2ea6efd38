"""Only the build step pyproject.toml cannot declare: compile the UI catalogues.

The .mo files are not in git; the wheel gets them compiled from the .po files,
so an installed portal speaks German without `make translations`.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithCatalogues(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # the checkout's own .mo files (make translations) are used
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        target = Path(self.build_lib, "cityexchange", "translations")
        for po_path in sorted(Path("translations").glob("*/LC_MESSAGES/messages.po")):
            mo_path = target / po_path.relative_to("translations").with_suffix(".mo")
            mo_path.parent.mkdir(parents=True, exist_ok=True)
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=po_path.parts[1])
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog)


setup(cmdclass={"build_py": BuildPyWithCatalogues})

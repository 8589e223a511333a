"""Build the optional C accelerator; boilerkit works without it (pure numpy/Python paths).

Everything else about the package is in setup.cfg.
"""

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """Build the extension if a compiler and lxml's headers are there; else warn and go on."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as error:  # no compiler, no headers: the pure paths remain
            self._skip(error)

    def build_extension(self, extension: Extension) -> None:
        try:
            import lxml

            extension.include_dirs = [*extension.include_dirs, *lxml.get_include()]
            super().build_extension(extension)
        except Exception as error:
            self._skip(error)

    def _skip(self, error: Exception) -> None:
        print(f"warning: boilerkit._speedups not built ({error}); using the pure-Python paths")


setup(
    ext_modules=[Extension("boilerkit._speedups", ["boilerkit/_speedups.c"],
                           extra_compile_args=["-O3"], optional=True)],
    cmdclass={"build_ext": OptionalBuildExt},
)

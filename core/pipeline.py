"""The pipeline in one place: manifest -> IR -> provider checks -> artifacts -> plan -> execute.

Commands call :class:`Project`; it owns the order of the stages and the
lifecycle hooks, so every command (and every test) runs the same pipeline.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping

from sls_neutral.core import ir
from sls_neutral.core.artifacts import ArtifactSet
from sls_neutral.core.errors import Diagnostic, ManifestError, Position, SlsnError, UnsupportedFeatureError
from sls_neutral.core.plugins import PluginManager, get_plugin_manager
from sls_neutral.core.provider import DeployContext, Provider, required_features

STATE_DIR = ".sls-neutral"
WRITE_HEAVY_FIRST = ("gcp",)


@dataclass
class Project:
    config: Path = Path("sls-neutral.yaml")
    stage: str | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] | None = None
    plugins: PluginManager | None = None
    #: Warnings and notes met on the way (provider limits, approximations); commands print them.
    warnings: list[Diagnostic] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        self.config = Path(self.config)
        if self.config.is_dir():
            self.config = self.config / "sls-neutral.yaml"
        if self.plugins is None:
            self.plugins = get_plugin_manager()

    # ------------------------------------------------------------ compile
    @cached_property
    def loaded(self):
        from sls_neutral.core.manifest import load_manifest

        return load_manifest(self.config, stage=self.stage, options=self.options, env=self.env,
                             extension_models=self.plugins.manifest_extensions)

    @cached_property
    def app(self) -> ir.App:
        """The compiled IR, validated by the core and by every plugin (no provider chosen)."""
        from sls_neutral.core.compiler import compile_app

        app = compile_app(self.loaded)
        self._check_plugins_enabled(app)
        self._raise_errors(self.plugins.validate_ir(app, None))
        return app

    @property
    def root(self) -> Path:
        return self.config.resolve().parent

    def provider_name(self, name: str | None) -> str:
        return name or self.app.default_provider

    def provider(self, name: str | None) -> Provider:
        return self.plugins.provider(self.provider_name(name))

    def app_for(self, provider_name: str | None) -> ir.App:
        """The IR as one provider sees it: settings validated, features checked, plugins applied."""
        provider = self.provider(provider_name)
        cache = self.__dict__.setdefault("_app_for", {})
        if provider.name in cache:
            return cache[provider.name]
        diagnostics = self._validate_settings(provider)
        app = self.app  # after the settings check, which fills in the provider's defaults
        diagnostics += self._check_features(app, provider)
        diagnostics += list(provider.check(app))
        diagnostics += self.plugins.validate_ir(app, provider.name)
        self._raise_errors(diagnostics)
        app = self.plugins.transform_ir(app, provider.name)
        cache[provider.name] = app
        return app

    def _check_plugins_enabled(self, app: ir.App) -> None:
        known = set(self.plugins.infos)
        problems = []
        for index, name in enumerate(app.plugins):
            if name not in known:
                from sls_neutral.core.errors import did_you_mean

                problems.append(Diagnostic(f"plugin '{name}' is not installed", self.loaded.position("plugins", index),
                                           did_you_mean(name, known) or f"pip install the package providing '{name}'",
                                           code="plugin"))
        self._raise_errors(problems)

    def _validate_settings(self, provider: Provider) -> list[Diagnostic]:
        problems = list(self.loaded.provider_diagnostics.get(provider.name, []))
        if problems:
            return problems
        data = dict(self.app.settings(provider.name))
        fields = provider.settings_fields()
        complete = None
        if fields is not None:  # a well-formed block needs no pydantic (core/manifest/plain.py)
            from sls_neutral.core.manifest.plain import check_flat

            complete = check_flat(fields, data)
        if complete is None:
            model = provider.settings_model()
            if model is None:
                return []
            from pydantic import ValidationError

            from sls_neutral.core.manifest import pydantic_diagnostics

            try:
                validated = model.model_validate(data)
            except ValidationError as exc:
                vocabulary = set(model.model_fields)
                return pydantic_diagnostics(exc, data, self.loaded.doc, ("providers", provider.name), vocabulary)
            complete = validated.model_dump(mode="json")
        # keep defaults filled in, so providers read one complete settings mapping
        settings = dict(self.app.provider_settings)
        settings[provider.name] = complete
        self.__dict__["app"] = self.app.replace(provider_settings=settings)
        return []

    def _check_features(self, app: ir.App, provider: Provider) -> list[Diagnostic]:
        out = []
        features = self.__dict__.get("_features")
        if features is None:  # the same for every provider: what the app uses
            features = self.__dict__["_features"] = required_features(app)
        for feature, users in features.items():
            support = provider.support(feature)
            if support.level == "none":
                alt = f"; instead: {support.alternative}" if support.alternative else ""
                out.append(Diagnostic(
                    f"provider '{provider.name}' does not support {feature} (used by {', '.join(users)})",
                    Position(app.manifest_file), f"see 'sls-neutral matrix'{alt}", code="unsupported"))
        return out

    def _raise_errors(self, diagnostics: list[Diagnostic]) -> None:
        errors = [d for d in diagnostics if d.severity == "error"]
        if not errors:
            self.warnings.extend(d for d in diagnostics if d not in self.warnings)
        if errors:
            if any(d.code == "unsupported" for d in errors) and len(errors) == 1:
                raise UnsupportedFeatureError(errors[0].message, position=errors[0].position, hint=errors[0].hint)
            raise ManifestError(diagnostics)

    # ------------------------------------------------------------ package
    def default_build_dir(self, provider: str) -> Path:
        return self.root / STATE_DIR / "build" / self.app.stage / provider

    def build(self, provider_name: str | None) -> tuple[ir.App, Provider, ArtifactSet]:
        """Emit one provider's artifacts in memory (with the package lifecycle hooks)."""
        provider = self.provider(provider_name)
        app = self.app_for(provider.name)
        from sls_neutral.core.artifacts import set_zip_cache_dir

        set_zip_cache_dir(self.root / STATE_DIR / "cache" / "zip")
        hook = self.plugins.hook
        hook.slsn_before_package(app=app, provider=provider.name)
        artifacts = ArtifactSet(provider.name)
        provider.emit(app, artifacts)
        hook.slsn_emit_artifacts(app=app, provider=provider.name, artifacts=artifacts)
        return app, provider, artifacts

    def package(self, provider_name: str | None, out_dir: Path | None = None, *, check: bool = False,
                ) -> dict[str, Any]:
        app, provider, artifacts = self.build(provider_name)
        out_dir = Path(out_dir) if out_dir else self.default_build_dir(provider.name)
        result: dict[str, Any] = {"provider": provider.name, "output": str(out_dir), "files": len(artifacts) + 1}
        if check:
            result["differences"] = [{"status": s, "path": p} for s, p in artifacts.diff(out_dir)]
        else:
            artifacts.write(out_dir)
        self.plugins.hook.slsn_after_package(app=app, provider=provider.name, artifacts=artifacts)
        if not check:
            _attach_record(result, artifacts, app, out_dir)
        return result

    def package_many(self, names: list[str], out_dirs: Mapping[str, Path | None] | None = None, *,
                     check: bool = False, parallel: bool = False) -> list[dict[str, Any]]:
        """``package`` for several providers (``-p all``), results in the order of ``names``.

        Every provider is validated before anything is written: if one refuses the manifest, no provider's
        files are written and the error of the first refusing provider (in ``names`` order) is raised, with
        the warnings of all gathered in that order too. Building is CPU work in one interpreter, so with
        ``parallel`` (the CLI's choice) a forked second process takes providers from the same queue (see
        :mod:`sls_neutral.core.forkpool`): on two cores ``-p all`` takes about as long as its slowest
        provider instead of the sum. There each provider is validated by the process that builds it, and a
        gate holds every write until all have passed, so the checks run on both cores too. Within a
        process, each provider's files are written by a background thread while the next one builds.
        Providers whose output is mostly files (GCP) go first, so their writes overlap the most work.
        """
        out_dirs = dict(out_dirs or {})
        if check or len(names) < 2:
            return [self.package(name, out_dirs.get(name), check=check) for name in names]
        order = sorted(names, key=lambda n: (n not in WRITE_HEAVY_FIRST, names.index(n)))
        from sls_neutral.core import forkpool
        from sls_neutral.core.sources import collect_sources

        self.app  # noqa: B018 - loaded and compiled once, before forking
        # The service's files are read once, before any provider is written: a provider writing its folder
        # in place (``-o deploy`` inside the service) removes its index first, and for that moment the
        # folder does not look like an output set, so a build reading the sources then packaged its files.
        collect_sources(self.root)
        with _no_gc():
            if parallel and forkpool.available():
                done = forkpool.run(order, lambda queue, gate: self._package_queue(queue, out_dirs, gate),
                                    gated=True)
            else:
                for name in names:
                    self.app_for(name)
                done = self._package_queue(iter(order), out_dirs, forkpool.OpenGate())
        self._gather_warnings(names, done)
        refused = [done[name]["refused"] for name in names if "refused" in done[name]]
        if refused:
            raise refused[0]
        return [done[name] for name in names]

    def _package_queue(self, queue, out_dirs: Mapping[str, Path | None], gate) -> dict[str, dict[str, Any]]:
        """Validate and build the providers ``queue`` yields, writing each one's files (once ``gate`` says
        every provider passed) while the next builds."""
        done: dict[str, dict[str, Any]] = {}
        pending = []
        from sls_neutral.core.threads import Writer

        writer = Writer()
        refused = False
        try:
            for name in queue:
                seen = len(self.warnings)
                try:
                    self.app_for(name)
                except SlsnError as exc:
                    gate.failed()
                    done[name] = {"refused": exc}
                    refused = True
                    continue
                gate.passed()
                done[name] = {"warnings": self.warnings[seen:]}
                if refused or gate.verdict is False:  # a provider refused the manifest: nothing is written
                    continue
                app, provider, artifacts = self.build(name)
                out_dir = Path(out_dirs[name]) if out_dirs.get(name) else self.default_build_dir(provider.name)
                done[name].update({"provider": provider.name, "output": str(out_dir), "files": len(artifacts) + 1})
                _attach_record(done[name], artifacts, app, out_dir)
                pending.append((writer.submit(_write_when_open, gate, artifacts, out_dir), app, provider,
                                artifacts))
        except BaseException:
            # This process stops taking providers: the gate must not wait for checks nobody will run (both
            # processes' writers would wait forever), and a failed command writes nothing more.
            gate.failed()
            raise
        finally:
            writer.close()  # every started write finishes (or undoes itself) before leaving
        for job, app, provider, artifacts in pending:
            job.result()
            if gate.verdict:
                self.plugins.hook.slsn_after_package(app=app, provider=provider.name, artifacts=artifacts)
        from sls_neutral.core import keepalive

        keepalive.keep(pending)  # the artifact sets live until the process ends (in both processes)
        return done

    def _gather_warnings(self, names: list[str], done: Mapping[str, dict[str, Any]]) -> None:
        """Every provider's warnings, in the order of ``names`` (as one process validating them in turn
        would have met them), whichever process met them."""
        base = [d for d in self.warnings if not any(d in done[n].get("warnings", ()) for n in names)]
        self.warnings[:] = base
        for name in names:
            self.warnings.extend(d for d in done[name].pop("warnings", ()) if d not in self.warnings)

    # ------------------------------------------------------------ deploy
    def deploy_context(self, provider: str, *, endpoint_url: str | None = None, output: str = "text",
                       progress: Any = None, options: Mapping[str, Any] | None = None) -> DeployContext:
        stage = self.app.stage
        return DeployContext(root=self.root, state_dir=self.root / STATE_DIR / provider / stage,
                             build_dir=self.default_build_dir(provider), endpoint_url=endpoint_url, output=output,
                             progress=progress, options=dict(options or {}))

    def plan(self, provider_name: str | None, ctx_kwargs: Mapping[str, Any] | None = None):
        app, provider, artifacts = self.build(provider_name)
        ctx = self.deploy_context(provider.name, **dict(ctx_kwargs or {}))
        plan = provider.plan(app, artifacts, ctx)
        for extra in self.plugins.hook.slsn_plan(app=app, provider=provider.name, plan=plan):
            plan.actions.extend(extra or ())
        return app, provider, artifacts, plan, ctx

    def deploy(self, provider_name: str | None, ctx_kwargs: Mapping[str, Any] | None = None) -> dict[str, Any]:
        app, provider, artifacts, plan, ctx = self.plan(provider_name, ctx_kwargs)
        hook = self.plugins.hook
        hook.slsn_before_deploy(app=app, provider=provider.name, plan=plan)
        try:
            artifacts.write(ctx.build_dir)
            result = provider.execute(app, plan, artifacts, ctx)
        except BaseException as exc:
            hook.slsn_deploy_failed(app=app, provider=provider.name, error=exc)
            raise
        hook.slsn_after_deploy(app=app, provider=provider.name, result=result)
        result = dict(result or {})
        result.setdefault("plan", plan.to_dict())
        return result

    def remove(self, provider_name: str | None, ctx_kwargs: Mapping[str, Any] | None = None) -> dict[str, Any]:
        provider = self.provider(provider_name)
        app = self.app_for(provider.name)
        result = provider.remove(app, self.deploy_context(provider.name, **dict(ctx_kwargs or {})))
        self.plugins.hook.slsn_remove(app=app, provider=provider.name)
        return dict(result or {})

    def info(self, provider_name: str | None, ctx_kwargs: Mapping[str, Any] | None = None) -> dict[str, Any]:
        provider = self.provider(provider_name)
        app = self.app_for(provider.name)
        info = dict(provider.info(app, self.deploy_context(provider.name, **dict(ctx_kwargs or {}))) or {})
        for impl in self.plugins.hook.slsn_info.get_hookimpls():
            kwargs = {"app": app, "provider": provider.name, "info": info}
            extra = impl.function(**{k: kwargs[k] for k in impl.argnames})
            if extra:
                info.setdefault("plugins", {})[impl.plugin_name] = dict(extra)
        return info


def _write_when_open(gate, artifacts: ArtifactSet, out_dir: Path) -> None:
    if gate.wait():
        artifacts.write(out_dir)


def _attach_record(result: dict[str, Any], artifacts: ArtifactSet, app: ir.App, out_dir: Path) -> None:
    """When the build is recorded for the incremental path, how this provider's files were made (under
    ``_record``, which the command takes out before printing results)."""
    from sls_neutral.core import buildrecord

    part = buildrecord.provider_part(artifacts, app, out_dir)
    if part is not None:
        result["_record"] = part


@contextmanager
def _no_gc():
    """Building makes hundreds of thousands of small, acyclic dicts and lists: the cyclic collector's
    repeated full passes over them cost ~20 % of a 1,000-function build and free nothing."""
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def parse_params(values: list[str] | None) -> dict[str, str]:
    """``--param NAME=VALUE`` (repeatable) into a mapping; a malformed one is a usage error."""
    out: dict[str, str] = {}
    for value in values or []:
        name, sep, rest = value.partition("=")
        if not sep or not name.strip():
            raise SlsnError(f"--param {value!r} must be NAME=VALUE")
        out[name.strip()] = rest
    return out

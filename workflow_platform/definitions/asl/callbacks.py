"""ASL ``.waitForTaskToken`` Tasks onto our wait states' callback token.

A Task whose resource ends in ``.waitForTaskToken`` (a registered callable or an http(s)
URL before the suffix) hands a task token to its worker and waits until someone returns
it with the task's output. Ours: the state's action runs on a transition into a
synthetic ``wait`` state, so the engine gives the action a completion token
(``data.wait.token``, docs/definition-format.md "Wait states"), and ``$$.Task.Token`` in
the state's ``Parameters`` reads it. ``POST /api/wait-completions/`` with that token and a
payload ends the wait: the payload is the Task's result (``asl.result_key: "$"``), then
``ResultSelector``, ``ResultPath`` and ``OutputPath``. ``TimeoutSeconds`` is the wait's
deadline: ``States.Timeout``, caught by a catcher that names it, else the instance fails.
"""

from __future__ import annotations

from typing import Any

WAIT_FOR_TOKEN = ".waitForTaskToken"  # noqa: S105 - a resource suffix, not a secret
TASK_TOKEN = "$$.Task.Token"  # noqa: S105 - a context path, not a secret
TOKEN_PATH = "$.wait.token"  # noqa: S105 - where the engine puts the token for the action


def waits_for_token(raw: dict[str, Any]) -> bool:
    resource = raw.get("Resource")
    return (
        isinstance(resource, str)
        and resource.endswith(WAIT_FOR_TOKEN)
        and not resource.startswith("arn:")
    )


def with_token(template: Any) -> Any:
    """``Parameters`` with ``$$.Task.Token`` read from where the engine puts the token."""
    if isinstance(template, dict):
        return {
            key: TOKEN_PATH if key.endswith(".$") and value == TASK_TOKEN else with_token(value)
            for key, value in template.items()
        }
    if isinstance(template, list):
        return [with_token(item) for item in template]
    return template


def token_task(translator: Any, where: str, ours: str, raw: dict[str, Any]) -> None:
    """States and transitions of a ``.waitForTaskToken`` Task (``translator`` is the
    importer's: its ``refuse``, ``_free``, ``_leave``, lists of states and transitions)."""
    for field in ("HeartbeatSeconds",):
        if field in raw:
            translator.refuse(f"{where}.{field}", f"{field} on a .waitForTaskToken Task is not "
                              f"supported at `{where}`")  # fmt: skip
    if raw.get("InputPath", "$") != "$":
        translator.refuse(f"{where}.InputPath", f"InputPath other than '$' on a "
                          f".waitForTaskToken Task is not supported at `{where}`")  # fmt: skip
    waiting = translator._free(f"{ours}-waiting"[:64])
    spec: dict[str, Any] = {}
    if "TimeoutSeconds" in raw:
        spec["deadline"] = f"{raw['TimeoutSeconds']}s"
    translator.extra.append({"name": waiting, "kind": "wait", "wait": spec})
    first: dict[str, Any] = {"result_path": None}  # the call's own answer is not the result
    if "Parameters" in raw:
        first["parameters"] = with_token(raw["Parameters"])
    translator.transitions.append({"from": ours, "to": waiting, "action": ours, "asl": first})
    block = {k: raw[k] for k in ("ResultSelector", "ResultPath", "OutputPath") if k in raw}
    ours_names = {"ResultSelector": "result_selector", "ResultPath": "result_path",
                  "OutputPath": "output_path"}  # fmt: skip
    completed = {"result_key": "$", **{ours_names[k]: v for k, v in block.items()}}
    translator._leave(waiting, raw, {"on": "completed", "asl": completed})
    if "TimeoutSeconds" in raw:
        _deadline(translator, ours, waiting, raw)


def _deadline(translator: Any, ours: str, waiting: str, raw: dict[str, Any]) -> None:
    timeout = {"Error": "States.Timeout", "Cause": "The task token was not returned in time."}
    for catcher in raw.get("Catch") or []:
        if {"States.ALL", "States.Timeout"} & set(catcher["ErrorEquals"]):
            block: dict[str, Any] = {"result": timeout}
            if "ResultPath" in catcher:
                block["result_path"] = catcher["ResultPath"]
            target = translator.names[catcher["Next"]]
            translator.transitions.append(
                {"from": waiting, "to": target, "on": "deadline", "asl": block}
            )
            return
    failed = translator._free(f"{ours}-timed-out"[:64])
    translator.extra.append(
        {"name": failed, "kind": "failed",
         "error": {"code": timeout["Error"], "cause": timeout["Cause"]}}
    )  # fmt: skip
    translator.transitions.append({"from": waiting, "to": failed, "on": "deadline"})

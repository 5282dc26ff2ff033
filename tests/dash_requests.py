"""Post raw Dash callback requests, as a browser (or an attacker) would, to a test client."""
from __future__ import annotations

import json


def _callback_for(client, output_id: str, output_prop: str, trigger: str | None) -> dict:
    dependencies = client.get("/_dash-dependencies").get_json()
    for dep in dependencies:
        if f"{output_id}.{output_prop}" not in dep["output"]:
            continue
        if trigger is None or any(f"{i['id']}.{i['property']}" == trigger for i in dep["inputs"]):
            return dep
    raise LookupError(f"no callback outputs {output_id}.{output_prop}")


def post_callback(
    client, output_id: str, output_prop: str, values: dict, *, trigger: str | None = None, headers: dict | None = None
) -> dict:
    """Fire the callback that writes `output_id.output_prop` (the one `trigger` fires, if given); `values` maps 'id.prop' to the input
    and state values (missing ones are sent as None). Returns {'id.prop': value} of the response."""
    dep = _callback_for(client, output_id, output_prop, trigger)

    def items(specs):
        return [{"id": s["id"], "property": s["property"], "value": values.get(f"{s['id']}.{s['property']}")} for s in specs]

    outputs = []
    for part in dep["output"][2:-2].split("...") if dep["output"].startswith("..") else [dep["output"]]:
        component, prop = part.rsplit(".", 1)
        outputs.append({"id": json.loads(component) if component.startswith("{") else component, "property": prop})
    payload = {
        "output": dep["output"],
        "outputs": outputs if dep["output"].startswith("..") else outputs[0],
        "inputs": items(dep["inputs"]),
        "state": items(dep["state"]),
        "changedPropIds": [trigger] if trigger else [f"{s['id']}.{s['property']}" for s in dep["inputs"]],
    }
    response = client.post("/_dash-update-component", data=json.dumps(payload), content_type="application/json", headers=headers or {})
    if response.status_code == 204:
        return {}
    assert response.status_code == 200, response.data[:500]
    body = response.get_json()["response"]
    return {f"{_key(cid)}.{prop.split('@')[0]}": value for cid, props in body.items() for prop, value in props.items()}


def _key(component_id: str) -> str:
    """Pattern-matching ids come back as JSON; name them by their "page" (e.g. "db-error:overview")."""
    if component_id.startswith("{"):
        parsed = json.loads(component_id)
        return f"{parsed.get('type')}:{parsed.get('page')}"
    return component_id


def texts(component) -> list[str]:
    """Every string inside a serialised Dash component tree, in order."""
    found: list[str] = []
    if isinstance(component, str):
        found.append(component)
    elif isinstance(component, (int, float)):
        found.append(str(component))
    elif isinstance(component, list):
        for child in component:
            found.extend(texts(child))
    elif isinstance(component, dict):
        props = component.get("props", component)
        found.extend(texts(props.get("children")))
    return found


def find_by_id(component, wanted: str):
    if isinstance(component, list):
        for child in component:
            hit = find_by_id(child, wanted)
            if hit is not None:
                return hit
    elif isinstance(component, dict):
        props = component.get("props", {})
        if props.get("id") == wanted:
            return component
        return find_by_id(props.get("children"), wanted)
    return None

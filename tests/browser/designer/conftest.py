"""Helpers for the designer's browser tests: where a state is on screen, and the mouse."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect


class Canvas:
    """The graph canvas of the editor in ``page``, driven with the real mouse."""

    def __init__(self, page):
        self.page = page

    def point_of(self, state: str) -> dict:
        # Cytoscape draws on a canvas: ask it where the state is, then use the mouse there.
        return self.page.evaluate(
            """(name) => {
                const node = WIDesigner.cy.getElementById("s:" + name);
                if (!node.length) return null;
                const p = node.renderedPosition();
                const box = document.getElementById("cy").getBoundingClientRect();
                return {x: p.x + box.left, y: p.y + box.top};
            }""",
            state,
        )

    def free_point(self, fx: float, fy: float) -> dict:
        box = self.page.locator("#cy").bounding_box()
        return {"x": box["x"] + box["width"] * fx, "y": box["y"] + box["height"] * fy}

    def add_state_at(self, fx: float, fy: float) -> None:
        point = self.free_point(fx, fy)
        self.page.mouse.dblclick(point["x"], point["y"])

    def click_state(self, state: str) -> None:
        point = self.point_of(state)
        self.page.mouse.click(point["x"], point["y"])

    def connect(self, source: str, target: str) -> None:
        """Hover ``source``, press its connect handle, drag onto ``target`` and release."""
        start = self.point_of(source)
        self.page.mouse.move(start["x"], start["y"])
        handle = self.page.locator("#connect-handle")
        expect(handle).to_be_visible()
        box = handle.bounding_box()
        self.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        self.page.mouse.down()
        end = self.point_of(target)
        self.page.mouse.move((start["x"] + end["x"]) / 2, (start["y"] + end["y"]) / 2, steps=5)
        self.page.mouse.move(end["x"], end["y"], steps=5)
        self.page.mouse.up()

    def has_class(self, element_id: str, cls: str) -> bool:
        return self.page.evaluate(
            "([id, cls]) => WIDesigner.cy.getElementById(id).hasClass(cls)", [element_id, cls]
        )


@pytest.fixture
def canvas(page):
    return Canvas(page)


@pytest.fixture
def fail_on_dialogs_and_errors(page):
    """Any alert() (an injected script) or page error fails the test."""
    seen: list[str] = []
    page.on("dialog", lambda d: (seen.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: seen.append(f"page error: {e}"))
    yield seen
    assert seen == []

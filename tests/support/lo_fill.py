"""Type values into a workbook with LibreOffice itself, as a district officer would, and save as .xlsx.

Runs under the system python3, which has LibreOffice's `uno` module (Debian: python3-uno); the tests
start it as a subprocess:

    /usr/bin/python3 tests/support/lo_fill.py SOURCE.xlsx TARGET.xlsx VALUES.json PROFILE_DIR [password=…]
        [delete-row=SHEET:ROW]

VALUES.json maps a workbook defined name (or "Sheet!A1") to the text to type. The script prints a
JSON object: for each key, what the cell shows after typing (a protected cell keeps its value).
"""

import contextlib
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]


def prop(name, value):
    item = PropertyValue()
    item.Name, item.Value = name, value
    return item


def connect(pipe: str, profile: Path):
    office = subprocess.Popen(
        ["soffice", "--headless", "--invisible", "--norestore",
         f"-env:UserInstallation={profile.resolve().as_uri()}", f"--accept=pipe,name={pipe};urp;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + 90
    while True:
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except Exception:
            if time.monotonic() > deadline or office.poll() is not None:
                office.kill()
                raise
            time.sleep(0.5)
    return office, context


def locate(doc, key: str):
    """(sheet, "F6") for a defined name or a "Sheet!F6" key."""
    if "!" in key:
        name, address = key.rsplit("!", 1)
        return doc.Sheets.getByName(name), address
    cell = doc.NamedRanges.getByName(key).getReferredCells().getCellByPosition(0, 0)
    position = cell.getCellAddress()
    return doc.Sheets.getByIndex(position.Sheet), cell.AbsoluteName.rsplit(".", 1)[1].replace("$", "")


def type_into(helper, doc, key: str, text: str) -> str:
    """Go to the cell and type, through the same dispatcher the keyboard uses (so sheet protection
    applies, unlike direct API calls); return what the cell shows afterwards."""
    sheet, address = locate(doc, key)
    controller = doc.getCurrentController()
    controller.setActiveSheet(sheet)
    frame = controller.getFrame()
    helper.executeDispatch(frame, ".uno:GoToCell", "", 0, (prop("ToPoint", address),))
    helper.executeDispatch(frame, ".uno:EnterString", "", 0, (prop("StringName", text),))
    return sheet.getCellRangeByName(address).getString()


def delete_row(doc, spec: str) -> None:
    """"Chỉ tiêu:6" deletes row 6 as a person would after unprotecting the sheet."""
    name, row = spec.rsplit(":", 1)
    sheet = doc.Sheets.getByName(name)
    sheet.unprotect("")
    sheet.Rows.removeByIndex(int(row) - 1, 1)


def main(source: str, target: str, values_file: str, profile: str, *options: str) -> None:
    """Options: password=SECRET (save encrypted), delete-row=SHEET:ROW (before typing),
    stale=NAME:VALUE (typed last with automatic calculation turned off, as in a spreadsheet set to
    calculate by hand: the formulas keep the results they had before it)."""
    settings = dict(option.split("=", 1) for option in options)
    values = json.loads(Path(values_file).read_text(encoding="utf-8"))
    office, context = connect(f"p8fill{uuid.uuid4().hex}", Path(profile))
    manager = context.ServiceManager
    desktop = manager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
    try:
        helper = manager.createInstanceWithContext("com.sun.star.frame.DispatchHelper", context)
        doc = desktop.loadComponentFromURL(Path(source).resolve().as_uri(), "_blank", 0,
                                           (prop("Hidden", True),))
        if "delete-row" in settings:
            delete_row(doc, settings["delete-row"])
        shown = {key: type_into(helper, doc, key, str(value)) for key, value in values.items()}
        doc.calculateAll()
        if "stale" in settings:
            name, text = settings["stale"].split(":", 1)
            doc.enableAutomaticCalculation(False)
            shown[name] = type_into(helper, doc, name, text)
        store = [prop("FilterName", "Calc MS Excel 2007 XML")]
        if "password" in settings:
            store.append(prop("Password", settings["password"]))
        doc.storeToURL(Path(target).resolve().as_uri(), tuple(store))
        print(json.dumps(shown, ensure_ascii=False))
        # The file is stored: an office that goes away while closing (seen under load) changes nothing.
        with contextlib.suppress(Exception):
            doc.close(True)
    finally:
        with contextlib.suppress(Exception):  # the office may already be gone
            desktop.terminate()
        try:
            office.wait(timeout=30)
        except subprocess.TimeoutExpired:
            office.kill()


if __name__ == "__main__":
    main(*sys.argv[1:])

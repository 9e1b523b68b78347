"""«Chỉ tiêu»: each indicator of the plan in its group, with the phase target, the cumulative figure
through last year (carried, or asked for), this round's inputs and the formulas that add them up."""

from __future__ import annotations

from pipeline.core.vietnamese import place
from pipeline.core.xlsx import cell_name
from pipeline.plan import form
from pipeline.templates.cells import Cells, indicator_sheet_titles, row_height


def former_context(t: Cells) -> tuple[str, dict[str, int], dict[str, int]] | None:
    """For a unit that continues former units' lines: their names, their phase targets together and their
    cumulative figures through last year together, per indicator; shown locked, for context only."""
    formers = [t.plan.unit(code) for code, _ in t.unit.shares]
    if not formers:
        return None
    names = " + ".join(place(f) for f in formers)
    targets = {i.code: sum(t.plan.targets[f.code][i.code] for f in formers) for i in t.plan.indicators}
    known = [t.formers.get(f.code, {}) for f in formers]
    cumulative = {i.code: sum(k[i.code] for k in known) for i in t.plan.indicators
                  if any(i.code in k for k in known)}
    return names, targets, cumulative


def write(t: Cells, ws) -> None:
    plan, rnd, unit, s = t.plan, t.rnd, t.unit, t.styles
    measures = form.MEASURES[rnd.kind]
    year_measure = form.YEAR_MEASURE[rnd.kind]
    context = former_context(t)
    headers = ["TT", "Chỉ tiêu", "Đơn vị tính", "Chỉ tiêu giai đoạn", form.PREVIOUS_LABEL,
               *[label for _, label in measures], "Lũy kế", "% chỉ tiêu giai đoạn", "Ghi chú"]
    widths = [6, 48, 10, 12, 13, *[14] * len(measures), 12, 12, 30]
    if context:
        headers += [f"Để tham khảo: chỉ tiêu giai đoạn của {context[0]} (cũ)",
                    f"Để tham khảo: lũy kế của {context[0]} (cũ) đến hết năm {rnd.year - 1}"]
        widths += [16, 16]
    targeted = plan.has_targets(unit.code)
    first_input = 5
    col_cumulative = first_input + len(measures)
    last_col = len(headers) - 1
    header_row = t.head(ws, *indicator_sheet_titles(rnd, unit), headers, widths, 48)

    row = header_row + 1
    for group, title in plan.groups.items():
        members = [i for i in plan.indicators if i.group == group]
        if not members:
            continue
        t.fixed(ws, row, 0, group, s["group"])
        t.merged(ws, row, 1, last_col, title, s["group"])
        ws.set_row(row, row_height(title, sum(widths[1:])))
        row += 1
        for indicator in members:
            target = plan.targets[unit.code][indicator.code] if targeted else 0
            t.fixed(ws, row, 0, indicator.no, s["center"])
            t.fixed(ws, row, 1, indicator.name, s["cell"])
            ws.set_row(row, row_height(indicator.name, widths[1]))
            t.fixed(ws, row, 2, indicator.unit, s["center"])
            t.fixed(ws, row, 3, target if targeted else form.NO_TARGET, s["number"] if targeted else s["center"])
            t.names[form.target_name(indicator.code)] = (ws.name, cell_name(row, 3))
            t.cached[form.target_name(indicator.code)] = target if targeted else form.NO_TARGET
            previous = t.carried.get(indicator.code)
            if previous is None:
                t.input(ws, row, 4, form.field_name(indicator.code, form.PREVIOUS))
            else:
                t.fixed(ws, row, 4, previous, s["number"], carried=True)
            for offset, (measure, _) in enumerate(measures):
                t.input(ws, row, first_input + offset, form.field_name(indicator.code, measure))
            year_cell = cell_name(row, first_input + [m for m, _ in measures].index(year_measure))
            previous_cell = cell_name(row, 4)
            if indicator.kind == "stock":
                formula = f'=IF({year_cell}="",{previous_cell},{year_cell})'
            else:
                formula = f"={previous_cell}+{year_cell}"
            t.formula(ws, row, col_cumulative, formula, s["number"], previous or 0,
                         form.output_name(indicator.code, "cumulative"))
            cumulative_cell = cell_name(row, col_cumulative)
            target_cell = cell_name(row, 3)
            share_formula = (f'=IF({target_cell}>0,{cumulative_cell}/{target_cell},"")' if targeted
                             else '=""')  # no target, no share of one
            t.formula(ws, row, col_cumulative + 1, share_formula, s["percent"],
                      (previous or 0) / target if target else "", form.output_name(indicator.code, "share"))
            t.input(ws, row, col_cumulative + 2, form.field_name(indicator.code, "note"))
            if context:
                t.fixed(ws, row, col_cumulative + 3, context[1][indicator.code], s["number"])
                t.fixed(ws, row, col_cumulative + 4, context[2].get(indicator.code, form.NO_TARGET),
                        s["number"], carried=True)
            row += 1
    t.page(ws, header_row, len(headers))

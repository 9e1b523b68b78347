"""The plan workbook's first sheet «Hướng dẫn»: what each sheet holds, how to fill it in, and how the
workbook becomes the plan folder the pipeline runs on."""

from __future__ import annotations

from pipeline.plan import book_layout as L
from pipeline.templates.cells import row_height


def _lines(phase: str) -> list[tuple[str, str]]:
    """(text, format) of each line; an empty format is plain wrapped text."""
    return [
        ("HƯỚNG DẪN LẬP KẾ HOẠCH BẰNG BẢNG TÍNH", "title"),
        (f"Giai đoạn {phase}. Bảng tính này là kế hoạch mà chương trình tổng hợp dùng để tạo mẫu báo cáo, kiểm "
         "tra tệp các đơn vị gửi về và lập báo cáo. Sửa ở đây, rồi nạp lại vào chương trình (mục cuối).", ""),
        ("", ""),
        ("Các trang", "bold"),
        (f"1. «{L.SHEET_IDENTITY}»: mã, văn bản, tên và giai đoạn của kế hoạch; cơ quan nhận báo cáo.", ""),
        (f"2. «{L.SHEET_UNITS}»: mỗi đơn vị báo cáo một dòng – mã chính thức, tên, cấp, loại (huyện, xã, phường…). "
         "Đơn vị có từ đầu giai đoạn thì để trống hai cột ngày. Khi sắp xếp đơn vị hành chính: ghi ngày thôi "
         "hiệu lực cho đơn vị cũ, ngày có hiệu lực (cùng ngày đó) cho đơn vị mới, và ở đơn vị mới ghi mã các "
         "đơn vị cũ nó kế tục; kế tục nhiều đơn vị thì ghi số liệu tính cho đơn vị cũ nào. Cột «Có báo cáo» "
         "chọn «Không» để tạm không gửi mẫu cho một đơn vị.", ""),
        (f"3. «{L.SHEET_GROUPS}»: các nhóm nội dung hoạt động; mỗi chỉ tiêu thuộc một nhóm.", ""),
        (f"4. «{L.SHEET_INDICATORS}»: mỗi chỉ tiêu một dòng – mã không dấu (ví dụ comm_groups), số thứ tự, "
         "nhóm, loại số liệu, đơn vị tính, thời gian hoàn thành, tên và tên ngắn. «Số hiện có»: đếm số đang có "
         "(tổ, nhóm, câu lạc bộ…), lấy số mới nhất; «Số phát sinh»: số cuộc, lượt người, cộng dồn qua các năm.", ""),
        (f"5. «{L.SHEET_TARGETS}»: chỉ tiêu giai đoạn, mỗi đơn vị được giao một dòng (cột A ghi mã đơn vị), "
         "mỗi chỉ tiêu một cột (hàng 5 ghi mã chỉ tiêu). Chỉ nhập số nguyên không âm. Thêm chỉ tiêu mới: ghi "
         "mã của nó vào ô vàng còn trống ở hàng 5. Đơn vị không được giao chỉ tiêu thì không cần dòng. Hai "
         "dòng tổng: để trống thì chương trình tự cộng; nếu điền thì cấp tỉnh cộng các đơn vị phải bằng dòng "
         "tổng cộng.", ""),
        (f"6. «{L.SHEET_RATIOS}» và «{L.SHEET_BUDGET}»: các chỉ tiêu tỷ lệ (%) với tử số, mẫu số; các nguồn "
         "kinh phí.", ""),
        (f"7. «{L.SHEET_ROUNDS}»: mỗi kỳ một dòng – báo cáo năm (đơn vị gửi trước 10/9, tỉnh báo cáo trước "
         "20/9) và cập nhật cả năm (25/01 và 05/02 năm sau). Các ngày là số liệu: sửa được khi có văn bản "
         "đổi hạn. Kỳ mở nhận từ ngày ghi ở cột «Mở nhận từ ngày»; tệp gửi trước ngày đó bị trả lại.", ""),
        (f"8. «{L.SHEET_FORMED}»: để tra cứu, các xã cũ hình thành nên mỗi đơn vị (không bắt buộc).", ""),
        ("", ""),
        ("Cách điền", "bold"),
        ("Chỉ sửa các ô màu vàng; tiêu đề đã khóa. Cột có dấu * là bắt buộc. Ngày nhập dạng ngày/tháng/năm. "
         "Mã (đơn vị, chỉ tiêu, nguồn, kỳ) không dấu, không có khoảng trắng, không trùng nhau. Thêm dòng: "
         "điền vào các dòng vàng còn trống ở cuối bảng. Không đổi tên hay xóa trang tính.", ""),
        ("", ""),
        ("Nạp vào chương trình", "bold"),
        ("python run_pipeline.py plan --from-workbook TỆP.xlsx --out THƯ_MỤC_KẾ_HOẠCH", "bold"),
        ("Chương trình kiểm tra cả bảng tính và liệt kê mọi lỗi cùng lúc, mỗi lỗi ghi trang và ô (ví dụ "
         f"'{L.SHEET_TARGETS}'!E9). Còn lỗi thì không ghi gì; sửa rồi chạy lại. Không còn lỗi thì ghi thư mục "
         "kế hoạch; dùng nó bằng tùy chọn --plan-dir THƯ_MỤC_KẾ_HOẠCH hoặc dòng plan = \"THƯ_MỤC_KẾ_HOẠCH\" "
         "trong config.toml. Kế hoạch cũ giữ nguyên ở thư mục của nó.", ""),
        ("", ""),
        ("Ý nghĩa màu ô", "bold"),
    ]


def write_guide(book, ws) -> None:
    f = book.formats
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, 100)
    lines = _lines(book.plan.phase)
    for row, (text, style) in enumerate(lines):
        ws.write_string(row, 1, text, f[style] if style else f["wrap"])
        ws.set_row(row, row_height(text, 95))
    legend = len(lines)
    ws.write_blank(legend, 0, None, f["legend_input"])
    ws.write_string(legend, 1, "Ô màu vàng: ô nhập (sửa được).")
    ws.write_blank(legend + 1, 0, None, f["legend_locked"])
    ws.write_string(legend + 1, 1, "Ô màu xám: tiêu đề, mã có sẵn – đã khóa.")
    book.page(ws, 0, landscape=False)

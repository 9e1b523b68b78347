"""The officer's side of mail on the command line: fetching new reports into the inbox, and sending
the reply drafts once asked to. What is printed is Vietnamese; the work is in fetch.py and send.py."""

from __future__ import annotations

from collections.abc import Callable

from pipeline.core import locations
from pipeline.core.config import Config
from pipeline.core.errors import UsageError
from pipeline.core.locations import Paths
from pipeline.core.sender_text import printable
from pipeline.ledger.lock import exclusive, exclusive_inbox


def require_mailbox(config: Config) -> None:
    if not config.mail.fetching:
        raise UsageError("chưa khai báo hộp thư: thêm mục [mail] với imap_host và imap_user vào config.toml "
                         "(xem README, mục «Tải thư tự động»).")


def fetch_and_tell(config: Config, paths: Paths, wait: float) -> bool:
    """Fetch into the inbox and say what came; False when the connection failed midway."""
    from pipeline.mail import fetch  # imported by the commands that fetch: a run without mail starts sooner

    require_mailbox(config)
    secret = fetch.password(config.mail)
    paths.inbox.mkdir(parents=True, exist_ok=True)
    with exclusive(paths, wait), exclusive_inbox(paths.inbox, wait):  # a run of another ledger reads it too
        report = fetch.fetch(config.mail, secret, paths.inbox, paths.home / locations.MAIL_FETCHED_STATE)
    mailbox = f"{config.mail.imap_user} ({config.mail.imap_folder})"
    if report.saved:
        print(f"Thư mới từ hộp thư {mailbox}: đã lưu {len(report.saved)} thư vào hộp thư đến (lần chạy sau trả lời "
              "từng thư, kể cả thư không có bảng tính đính kèm):")
        for path in report.saved:
            print(f"  {printable(path.name)}")
    elif report.error is None:
        print(f"Không có thư mới trong hộp thư {mailbox}.")
    if report.already_saved:
        print(f"{report.already_saved} thư đã được tải trước đây (cùng nội dung): không tải lại.")
    for message in report.too_large:
        print(f"CHÚ Ý: thư {message} quá lớn (trên {fetch.MAX_MESSAGE_BYTES >> 20} MB): không tải; hãy mở bằng "
              "chương trình thư và lưu tệp đính kèm vào hộp thư đến.")
    if report.error:
        print(f"LỖI khi tải thư: {report.error}. Các thư đã lưu vẫn được giữ và ghi nhận; chạy lại để tải tiếp – "
              "không thư nào bị tải hai lần. Trên máy chủ không có gì bị xóa hay thay đổi.")
    return report.error is None


def send_and_tell(config: Config, paths: Paths, ask: Ask, wait: float, unverified: bool = False) -> bool:
    """List the unsent reply drafts, ask, send; False when some could not be sent."""
    import smtplib

    from pipeline.mail import fetch, send

    if not config.mail.send_replies:
        print("Gửi thư trả lời đang tắt ([mail] send_replies = false trong config.toml): các thư nháp nằm trong "
              f"{paths.outbox} (…_thu-tra-loi.eml); mở bằng chương trình thư để kiểm tra và gửi.")
        return True
    if not config.mail.smtp_host:
        raise UsageError("chưa khai báo máy chủ gửi thư: thêm smtp_host vào mục [mail] của config.toml.")
    state = paths.home / locations.MAIL_SENT_STATE
    with exclusive(paths, wait):
        drafts = send.unsent(paths.outbox, state, unverified=unverified)
        held = [] if unverified else [d for d in send.unsent(paths.outbox, state, unverified=True) if d not in drafts]
        if held:
            print(f"{len(held)} thư trả lời tới địa chỉ chưa xác minh (người gửi khác địa chỉ đã đăng ký hoặc khác lần "
                  "trước) không được gửi; xem lại rồi gửi bằng «send --unverified» nếu đúng là đơn vị.")
        if not drafts:
            print("Không có thư trả lời nào chưa gửi.")
            return True
        print(f"{len(drafts)} thư trả lời chưa gửi:")
        for draft in drafts:
            print(f"  {printable(draft.relative_to(paths.outbox).as_posix())}")
        if not ask(f"Gửi {len(drafts)} thư này qua {config.mail.smtp_host}?"):
            print("Chưa gửi thư nào.")
            return True
        try:
            report = send.send(config.mail, fetch.password(config.mail, "SMTP"), config.contact, paths.outbox,
                               drafts, state)
        except (OSError, smtplib.SMTPException) as exc:  # no server, refused login, a dropped connection
            print(f"LỖI khi gửi thư: không kết nối được tới máy chủ gửi thư {config.mail.smtp_host}:"
                  f"{config.mail.smtp_port} ({type(exc).__name__}: {printable(str(exc))[:200]}). Thư nào đã gửi được "
                  "thì đã được ghi nhận và không bị gửi lại; chạy lại khi máy chủ sẵn sàng để gửi các thư còn lại.")
            return False
    merged = f" trong {report.messages} thư (các thư nháp tới cùng một địa chỉ được gộp thành một thư)" \
        if report.messages < len(report.sent) else ""
    print(f"Đã gửi {len(report.sent)} thư trả lời{merged}.")
    for draft, reason in report.failed:
        print(f"LỖI: chưa gửi được {printable(draft.name)}: {reason}.")
    return not report.failed


def confirm_in_vietnamese(question: str) -> bool:
    try:
        return input(f"{question} Gõ «co» để đồng ý: ").strip().lower() in ("co", "có", "c")
    except EOFError:
        return False


Ask = Callable[[str], bool]

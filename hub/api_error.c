#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_error.h"

/*
 * The catalogue. Statuses:
 *
 *   invalid_json              400  the body is not JSON
 *   unsupported_content_type  415
 *   body_too_large            413  limit: the maximum body in bytes
 *   missing_field             422
 *   invalid_utf8              400  the bytes are not text at all
 *   field_too_long            422  limit: the maximum in characters
 *   invalid_field             422  limit: the bound of the value, if any
 *   unknown_language          422
 *   consent_required          422
 *   idempotency_key_reused    422  the same key with a different body
 *   rate_limited              429  limit: requests allowed per minute, or
 *                                  with a field, minutes until a lock ends
 *   form_too_fast             422  limit: the minimum seconds to fill in
 *   form_rejected             422  the spam checks refused the form
 *   not_found                 404
 *   unauthorized              401
 *   forbidden                 403
 *   method_not_allowed        405
 *   unavailable               503  shutting down, or the store rejects work
 *   internal_error            500
 *   login_failed              401  wrong username or password (the reply
 *                                  does not tell which)
 *   login_locked              429  limit: seconds until logins are taken
 *                                  again for the username or address
 *   session_expired           401  the session or token expired or ended
 *   csrf_token_invalid        403  X-CSRF-Token missing or wrong
 *   status_transition_not_allowed 409  the lifecycle forbids the change
 *   ticket_closed             409  the ticket is closed or merged
 *   conflict                  409  field: what the state of the data
 *                                  forbids (a duplicate username, ...)
 *   contact_blocked           403  field: the contact the desk blocked
 *   erasure_held              409  field: why personal data must still be
 *                                  kept (open_tickets, ...)
 *   ticket_not_resolved       409  the ticket is neither resolved nor
 *                                  closed, so it cannot be rated yet
 *
 * Each message comes in up to four forms, picked by what the error carries:
 * a field and a limit, a field, a limit, or neither. "{field}" and "{limit}"
 * in a form are replaced by the values.
 */

struct api_error_forms {
	const char *field_limit;
	const char *field;
	const char *limit;
	const char *plain;
};

struct api_error_entry {
	const char *name;
	int status;
	struct api_error_forms vi;
	struct api_error_forms en;
};

static const struct api_error_entry api_error_catalogue[HUB_ERR_COUNT] = {
	[HUB_OK] = { "ok", 200,
		{ NULL, NULL, NULL, "Thành công." },
		{ NULL, NULL, NULL, "Success." } },
	[HUB_ERR_INVALID_JSON] = { "invalid_json", 400,
		{ NULL,
		  "Nội dung gửi lên không phải là JSON hợp lệ: trường "
		  "\"{field}\" xuất hiện hai lần. Hãy giữ một lần rồi gửi lại.",
		  NULL,
		  "Nội dung gửi lên không phải là JSON hợp lệ. Hãy kiểm tra "
		  "cú pháp rồi gửi lại." },
		{ NULL,
		  "The request body is not valid JSON: the field \"{field}\" "
		  "appears twice. Keep one and send it again.",
		  NULL,
		  "The request body is not valid JSON. Check its syntax and "
		  "send it again." } },
	[HUB_ERR_CONTENT_TYPE] = { "unsupported_content_type", 415,
		{ NULL,
		  "Kiểu nội dung của \"{field}\" không được hỗ trợ. Hãy gửi lại "
		  "với kiểu nội dung mà địa chỉ này chấp nhận.",
		  NULL,
		  "Máy chủ không nhận kiểu nội dung (Content-Type) này. Hãy "
		  "gửi lại dưới dạng application/json hoặc biểu mẫu web." },
		{ NULL,
		  "The content type of \"{field}\" is not supported. Send it "
		  "again in a type that this address accepts.",
		  NULL,
		  "The request's Content-Type is not supported here. Send it "
		  "again as application/json or as a web form." } },
	[HUB_ERR_BODY_TOO_LARGE] = { "body_too_large", 413,
		{ "Trường \"{field}\" lớn hơn {limit} byte. Hãy rút gọn nội "
		  "dung rồi gửi lại.",
		  "Trường \"{field}\" quá lớn. Hãy rút gọn nội dung rồi gửi lại.",
		  "Nội dung gửi lên lớn hơn {limit} byte. Hãy rút gọn nội dung "
		  "rồi gửi lại.",
		  "Nội dung gửi lên quá lớn. Hãy rút gọn nội dung rồi gửi lại." },
		{ "The field \"{field}\" is larger than {limit} bytes. Shorten "
		  "it and send it again.",
		  "The field \"{field}\" is too large. Shorten it and send it "
		  "again.",
		  "The request body is larger than {limit} bytes. Shorten it "
		  "and send it again.",
		  "The request body is too large. Shorten it and send it "
		  "again." } },
	[HUB_ERR_MISSING_FIELD] = { "missing_field", 422,
		{ NULL,
		  "Thiếu trường \"{field}\". Hãy điền trường này rồi gửi lại.",
		  NULL,
		  "Còn thiếu thông tin bắt buộc. Hãy điền đủ các trường bắt "
		  "buộc rồi gửi lại." },
		{ NULL,
		  "The field \"{field}\" is missing. Fill it in and send it "
		  "again.",
		  NULL,
		  "A required field is missing. Fill in every required field "
		  "and send it again." } },
	[HUB_ERR_INVALID_UTF8] = { "invalid_utf8", 400,
		{ NULL,
		  "Trường \"{field}\" chứa byte không phải UTF-8 hợp lệ. Hãy "
		  "mã hóa văn bản bằng UTF-8 rồi gửi lại.",
		  NULL,
		  "Nội dung gửi lên chứa byte không phải UTF-8 hợp lệ. Hãy mã "
		  "hóa văn bản bằng UTF-8 rồi gửi lại." },
		{ NULL,
		  "The field \"{field}\" contains bytes that are not valid "
		  "UTF-8. Encode the text as UTF-8 and send it again.",
		  NULL,
		  "The request contains bytes that are not valid UTF-8. Encode "
		  "the text as UTF-8 and send it again." } },
	[HUB_ERR_FIELD_TOO_LONG] = { "field_too_long", 422,
		{ "Trường \"{field}\" dài quá {limit} ký tự. Hãy rút gọn nội "
		  "dung rồi gửi lại.",
		  "Trường \"{field}\" quá dài. Hãy rút gọn nội dung rồi gửi lại.",
		  "Một trường dài quá {limit} ký tự. Hãy rút gọn nội dung rồi "
		  "gửi lại.",
		  "Một trường quá dài. Hãy rút gọn nội dung rồi gửi lại." },
		{ "The field \"{field}\" is longer than {limit} characters. "
		  "Shorten it and send it again.",
		  "The field \"{field}\" is too long. Shorten it and send it "
		  "again.",
		  "A field is longer than {limit} characters. Shorten it and "
		  "send it again.",
		  "A field is too long. Shorten it and send it again." } },
	[HUB_ERR_INVALID_FIELD] = { "invalid_field", 422,
		{ "Giá trị của trường \"{field}\" không hợp lệ (giới hạn là "
		  "{limit}). Hãy sửa giá trị này rồi gửi lại.",
		  "Trường \"{field}\" không hợp lệ hoặc không được hỗ trợ. Hãy "
		  "kiểm tra tên và kiểu dữ liệu của trường theo tài liệu API rồi "
		  "gửi lại.",
		  NULL,
		  "Dữ liệu gửi lên có giá trị không hợp lệ. Hãy sửa rồi gửi "
		  "lại." },
		{ "The value of the field \"{field}\" is invalid (the limit is "
		  "{limit}). Correct it and send it again.",
		  "The field \"{field}\" is invalid or not supported. Check its "
		  "name and type against the API documentation and send it "
		  "again.",
		  NULL,
		  "A value in the request is invalid. Correct it and send it "
		  "again." } },
	[HUB_ERR_UNKNOWN_LANGUAGE] = { "unknown_language", 422,
		{ NULL,
		  "Trường \"{field}\" chứa ngôn ngữ không được hỗ trợ. Hãy chọn "
		  "\"vi\" (tiếng Việt) hoặc \"en\" (tiếng Anh).",
		  NULL,
		  "Ngôn ngữ này không được hỗ trợ. Hãy chọn \"vi\" (tiếng Việt) "
		  "hoặc \"en\" (tiếng Anh)." },
		{ NULL,
		  "The field \"{field}\" names a language that is not "
		  "supported. Choose \"vi\" (Vietnamese) or \"en\" (English).",
		  NULL,
		  "This language is not supported. Choose \"vi\" (Vietnamese) "
		  "or \"en\" (English)." } },
	[HUB_ERR_CONSENT_REQUIRED] = { "consent_required", 422,
		{ NULL,
		  "Bạn cần đồng ý với thông báo về xử lý dữ liệu cá nhân "
		  "(trường \"{field}\") thì mới gửi được. Hãy đánh dấu ô đồng ý "
		  "rồi gửi lại.",
		  NULL,
		  "Bạn cần đồng ý với thông báo về xử lý dữ liệu cá nhân thì "
		  "mới gửi được. Hãy đánh dấu ô đồng ý rồi gửi lại." },
		{ NULL,
		  "You need to accept the personal data notice (the field "
		  "\"{field}\") before sending. Tick the consent box and send "
		  "it again.",
		  NULL,
		  "You need to accept the personal data notice before sending. "
		  "Tick the consent box and send it again." } },
	[HUB_ERR_IDEMPOTENCY_MISMATCH] = { "idempotency_key_reused", 422,
		{ NULL,
		  "Khóa trong \"{field}\" đã được dùng cho một yêu cầu có nội "
		  "dung khác. Hãy dùng một khóa mới cho mỗi yêu cầu mới.",
		  NULL,
		  "Khóa Idempotency-Key này đã được dùng cho một yêu cầu có nội "
		  "dung khác. Hãy dùng một khóa mới cho mỗi yêu cầu mới." },
		{ NULL,
		  "The key in \"{field}\" was already used for a request with a "
		  "different body. Use a new key for each new request.",
		  NULL,
		  "This Idempotency-Key was already used for a request with a "
		  "different body. Use a new key for each new request." } },
	/* With a limit alone, limit is the requests allowed per minute from
	 * one address. With a field and a limit, checks of that field are
	 * locked after too many wrong values and limit is the minutes to
	 * wait. */
	[HUB_ERR_RATE_LIMITED] = { "rate_limited", 429,
		{ "Đã nhập sai quá nhiều lần nên việc kiểm tra tạm dừng. Hãy "
		  "thử lại sau {limit} phút.",
		  "Bạn đã gửi quá nhiều yêu cầu \"{field}\". Hãy chờ một lát rồi "
		  "thử lại.",
		  "Bạn đã gửi quá {limit} yêu cầu trong một phút. Hãy chờ một "
		  "lát rồi thử lại.",
		  "Bạn đã gửi quá nhiều yêu cầu. Hãy chờ một lát rồi thử lại." },
		{ "Too many wrong values were entered, so checks are paused. "
		  "Try again in {limit} min.",
		  "You sent too many \"{field}\" requests. Wait a moment and try "
		  "again.",
		  "You sent more than {limit} requests in a minute. Wait a "
		  "moment and try again.",
		  "You sent too many requests. Wait a moment and try again." } },
	[HUB_ERR_FORM_TOO_FAST] = { "form_too_fast", 422,
		{ "Biểu mẫu \"{field}\" được gửi sớm hơn {limit} giây sau khi "
		  "mở. Hãy chờ vài giây rồi gửi lại.",
		  "Biểu mẫu \"{field}\" được gửi quá nhanh sau khi mở. Hãy chờ "
		  "vài giây rồi gửi lại.",
		  "Biểu mẫu được gửi sớm hơn {limit} giây sau khi mở. Hãy chờ "
		  "vài giây rồi gửi lại.",
		  "Biểu mẫu được gửi quá nhanh sau khi mở. Hãy chờ vài giây rồi "
		  "gửi lại." },
		{ "The form \"{field}\" was sent less than {limit} seconds after "
		  "it was opened. Wait a few seconds and send it again.",
		  "The form \"{field}\" was sent too soon after it was opened. "
		  "Wait a few seconds and send it again.",
		  "The form was sent less than {limit} seconds after it was "
		  "opened. Wait a few seconds and send it again.",
		  "The form was sent too soon after it was opened. Wait a few "
		  "seconds and send it again." } },
	[HUB_ERR_FORM_REJECTED] = { "form_rejected", 422,
		{ NULL,
		  "Biểu mẫu bị từ chối vì trường \"{field}\" có dấu hiệu được "
		  "điền tự động. Hãy tải lại trang, điền lại biểu mẫu rồi gửi.",
		  NULL,
		  "Biểu mẫu bị từ chối vì có dấu hiệu được điền tự động. Hãy "
		  "tải lại trang, điền lại biểu mẫu rồi gửi." },
		{ NULL,
		  "The form was rejected because the field \"{field}\" looks "
		  "automatically filled in. Reload the page, fill in the form "
		  "and send it again.",
		  NULL,
		  "The form was rejected because it looks automatically filled "
		  "in. Reload the page, fill in the form and send it again." } },
	[HUB_ERR_NOT_FOUND] = { "not_found", 404,
		{ NULL,
		  "Không tìm thấy \"{field}\". Hãy kiểm tra lại đường dẫn hoặc "
		  "mã phản ánh.",
		  NULL,
		  "Không tìm thấy địa chỉ hoặc phản ánh được yêu cầu. Hãy kiểm "
		  "tra lại đường dẫn hoặc mã phản ánh." },
		{ NULL,
		  "\"{field}\" was not found. Check the link or the ticket code.",
		  NULL,
		  "The requested address or ticket was not found. Check the "
		  "link or the ticket code." } },
	[HUB_ERR_UNAUTHORIZED] = { "unauthorized", 401,
		{ NULL,
		  "Mã truy cập trong \"{field}\" bị thiếu hoặc không đúng. Hãy "
		  "gửi kèm mã truy cập hợp lệ rồi thử lại.",
		  NULL,
		  "Yêu cầu này cần xác thực. Hãy đăng nhập hoặc gửi kèm mã truy "
		  "cập hợp lệ rồi thử lại." },
		{ NULL,
		  "The access token in \"{field}\" is missing or wrong. Send a "
		  "valid access token and try again.",
		  NULL,
		  "This request needs authentication. Sign in or send a valid "
		  "access token and try again." } },
	[HUB_ERR_FORBIDDEN] = { "forbidden", 403,
		{ NULL,
		  "Giá trị của \"{field}\" không khớp với phản ánh này. Hãy "
		  "kiểm tra rồi thử lại.",
		  NULL,
		  "Bạn không có quyền thực hiện yêu cầu này. Nếu cần quyền truy "
		  "cập, hãy liên hệ quản trị viên." },
		{ NULL,
		  "The value of \"{field}\" does not match this ticket. Check "
		  "it and try again.",
		  NULL,
		  "You are not allowed to make this request. Ask an "
		  "administrator if you need access." } },
	[HUB_ERR_METHOD_NOT_ALLOWED] = { "method_not_allowed", 405,
		{ NULL,
		  "Địa chỉ \"{field}\" không nhận phương thức HTTP đã dùng. Hãy "
		  "xem tiêu đề Allow để biết các phương thức được phép.",
		  NULL,
		  "Địa chỉ này không nhận phương thức HTTP đã dùng. Hãy xem "
		  "tiêu đề Allow để biết các phương thức được phép." },
		{ NULL,
		  "The address \"{field}\" does not accept the HTTP method used. "
		  "See the Allow header for the methods it accepts.",
		  NULL,
		  "This address does not accept the HTTP method used. See the "
		  "Allow header for the methods it accepts." } },
	[HUB_ERR_UNAVAILABLE] = { "unavailable", 503,
		{ NULL,
		  "Chức năng \"{field}\" tạm thời không hoạt động. Hãy thử lại "
		  "sau ít phút.",
		  NULL,
		  "Hệ thống tạm thời không nhận yêu cầu. Hãy thử lại sau ít "
		  "phút." },
		{ NULL,
		  "\"{field}\" is unavailable right now. Try again in a few "
		  "minutes.",
		  NULL,
		  "The service cannot take requests right now. Try again in a "
		  "few minutes." } },
	[HUB_ERR_INTERNAL] = { "internal_error", 500,
		{ NULL,
		  "Hệ thống gặp lỗi nội bộ khi xử lý \"{field}\". Hãy thử lại "
		  "sau ít phút; nếu lỗi vẫn còn, hãy báo cho bộ phận hỗ trợ.",
		  NULL,
		  "Hệ thống gặp lỗi nội bộ. Hãy thử lại sau ít phút; nếu lỗi "
		  "vẫn còn, hãy báo cho bộ phận hỗ trợ." },
		{ NULL,
		  "The service hit an internal error while handling "
		  "\"{field}\". Try again in a few minutes, and tell the "
		  "support team if it happens again.",
		  NULL,
		  "The service hit an internal error. Try again in a few "
		  "minutes, and tell the support team if it happens again." } },
	[HUB_ERR_LOGIN_FAILED] = { "login_failed", 401,
		{ NULL,
		  "Thông tin đăng nhập trong \"{field}\" không đúng: tên đăng "
		  "nhập hoặc mật khẩu sai. Hãy kiểm tra rồi đăng nhập lại.",
		  NULL,
		  "Tên đăng nhập hoặc mật khẩu không đúng. Hãy kiểm tra rồi "
		  "đăng nhập lại." },
		{ NULL,
		  "The sign-in details in \"{field}\" are wrong: the username "
		  "or the password does not match. Check them and sign in "
		  "again.",
		  NULL,
		  "The username or the password is wrong. Check them and sign "
		  "in again." } },
	/* The fields "username" and "address" have their own forms below. */
	[HUB_ERR_LOGIN_LOCKED] = { "login_locked", 429,
		{ "Đăng nhập bằng \"{field}\" tạm bị khóa sau nhiều lần sai. "
		  "Hãy thử lại sau {limit} giây.",
		  "Đăng nhập bằng \"{field}\" tạm bị khóa sau nhiều lần sai. "
		  "Hãy thử lại sau ít phút.",
		  "Đăng nhập tạm bị khóa sau nhiều lần sai. Hãy thử lại sau "
		  "{limit} giây.",
		  "Đăng nhập tạm bị khóa sau nhiều lần sai. Hãy thử lại sau ít "
		  "phút." },
		{ "Sign-in with \"{field}\" is locked for now after too many "
		  "failures. Try again in {limit} seconds.",
		  "Sign-in with \"{field}\" is locked for now after too many "
		  "failures. Try again in a few minutes.",
		  "Sign-in is locked for now after too many failures. Try "
		  "again in {limit} seconds.",
		  "Sign-in is locked for now after too many failures. Try "
		  "again in a few minutes." } },
	[HUB_ERR_SESSION_EXPIRED] = { "session_expired", 401,
		{ NULL,
		  "Phiên đăng nhập trong \"{field}\" đã hết hạn hoặc đã đăng "
		  "xuất. Hãy đăng nhập lại.",
		  NULL,
		  "Phiên đăng nhập đã hết hạn hoặc đã đăng xuất. Hãy đăng nhập "
		  "lại." },
		{ NULL,
		  "The session in \"{field}\" has expired or was signed out. "
		  "Sign in again.",
		  NULL,
		  "The session has expired or was signed out. Sign in again." } },
	[HUB_ERR_CSRF] = { "csrf_token_invalid", 403,
		{ NULL,
		  "Thiếu hoặc sai mã chống giả mạo trong \"{field}\". Hãy tải "
		  "lại trang rồi thử lại.",
		  NULL,
		  "Thiếu hoặc sai mã chống giả mạo yêu cầu. Hãy tải lại trang "
		  "rồi thử lại." },
		{ NULL,
		  "The anti-forgery token in \"{field}\" is missing or wrong. "
		  "Reload the page and try again.",
		  NULL,
		  "The anti-forgery token is missing or wrong. Reload the page "
		  "and try again." } },
	[HUB_ERR_STATUS_TRANSITION] = { "status_transition_not_allowed", 409,
		{ NULL,
		  "Không thể chuyển phản ánh sang trạng thái trong \"{field}\" "
		  "từ trạng thái hiện tại. Hãy xem trạng thái của phản ánh rồi "
		  "chọn bước tiếp theo hợp lệ.",
		  NULL,
		  "Không thể chuyển phản ánh sang trạng thái này từ trạng thái "
		  "hiện tại. Hãy xem trạng thái của phản ánh rồi chọn bước tiếp "
		  "theo hợp lệ." },
		{ NULL,
		  "The ticket cannot move to the status in \"{field}\" from its "
		  "current status. Check the ticket's status and pick a step "
		  "that follows from it.",
		  NULL,
		  "The ticket cannot move to that status from its current "
		  "status. Check the ticket's status and pick a step that "
		  "follows from it." } },
	[HUB_ERR_TICKET_CLOSED] = { "ticket_closed", 409,
		{ NULL,
		  "Phản ánh trong \"{field}\" đã đóng hoặc đã được gộp vào "
		  "phản ánh khác nên không nhận thay đổi này.",
		  NULL,
		  "Phản ánh đã đóng hoặc đã được gộp vào phản ánh khác nên "
		  "không nhận thay đổi này. Hãy mở phản ánh đang xử lý." },
		{ NULL,
		  "The ticket in \"{field}\" is closed or merged into another "
		  "one, so it takes no such change.",
		  NULL,
		  "The ticket is closed or merged into another one, so it takes "
		  "no such change. Open the ticket that is being worked on." } },
	[HUB_ERR_CONFLICT] = { "conflict", 409,
		{ NULL,
		  "Giá trị của \"{field}\" xung đột với dữ liệu hiện có. Hãy "
		  "tải lại dữ liệu, kiểm tra rồi thử lại.",
		  NULL,
		  "Yêu cầu xung đột với dữ liệu hiện có. Hãy tải lại dữ liệu, "
		  "kiểm tra rồi thử lại." },
		{ NULL,
		  "The value of \"{field}\" conflicts with the data already "
		  "held. Reload, check it and try again.",
		  NULL,
		  "The request conflicts with the data already held. Reload, "
		  "check and try again." } },
	[HUB_ERR_CONTACT_BLOCKED] = { "contact_blocked", 403,
		{ NULL,
		  "Liên hệ trong \"{field}\" đã bị chặn vì lạm dụng dịch vụ "
		  "nên yêu cầu không được nhận. Hãy liên hệ trực tiếp bộ phận "
		  "một cửa nếu cho rằng đây là nhầm lẫn.",
		  NULL,
		  "Liên hệ này đã bị chặn vì lạm dụng dịch vụ nên yêu cầu không "
		  "được nhận. Hãy liên hệ trực tiếp bộ phận một cửa nếu cho rằng "
		  "đây là nhầm lẫn." },
		{ NULL,
		  "The contact in \"{field}\" is blocked for abusing the "
		  "service, so the request was not taken. Contact the one-stop "
		  "desk in person if you think this is a mistake.",
		  NULL,
		  "This contact is blocked for abusing the service, so the "
		  "request was not taken. Contact the one-stop desk in person if "
		  "you think this is a mistake." } },
	[HUB_ERR_ERASURE_HELD] = { "erasure_held", 409,
		{ NULL,
		  "Chưa thể xóa dữ liệu cá nhân vì còn phải lưu giữ "
		  "(\"{field}\"): có phản ánh của công dân đang được xử lý "
		  "hoặc còn trong thời hạn lưu giữ sau khi đóng. Hãy xử lý xong "
		  "các phản ánh được liệt kê rồi thử lại khi hết thời hạn.",
		  NULL,
		  "Chưa thể xóa dữ liệu cá nhân vì còn phải lưu giữ: có phản "
		  "ánh của công dân đang được xử lý hoặc còn trong thời hạn lưu "
		  "giữ sau khi đóng. Hãy xử lý xong các phản ánh rồi thử lại." },
		{ NULL,
		  "The personal data cannot be erased yet because it must still "
		  "be kept (\"{field}\"): a ticket of the citizen is being "
		  "handled or is within its retention period after closing. "
		  "Finish the tickets listed and try again once the period has "
		  "passed.",
		  NULL,
		  "The personal data cannot be erased yet because it must still "
		  "be kept: a ticket of the citizen is being handled or is "
		  "within its retention period after closing. Finish the "
		  "tickets and try again." } },
	[HUB_ERR_NOT_RESOLVED] = { "ticket_not_resolved", 409,
		{ NULL,
		  "Phản ánh trong \"{field}\" chưa được giải quyết nên chưa "
		  "thể đánh giá. Hãy đánh giá sau khi phản ánh chuyển sang "
		  "trạng thái đã giải quyết.",
		  NULL,
		  "Phản ánh chưa được giải quyết nên chưa thể đánh giá. Hãy "
		  "đánh giá sau khi phản ánh chuyển sang trạng thái đã giải "
		  "quyết." },
		{ NULL,
		  "The report in \"{field}\" is not resolved yet, so it cannot "
		  "be rated. Rate it once its status is resolved.",
		  NULL,
		  "The report is not resolved yet, so it cannot be rated. Rate "
		  "it once its status is resolved." } },
};

/* The entry of code; an unknown code is reported as an internal error. */
static const struct api_error_entry *
api_error_entry(enum hub_error_code code)
{
	if ((unsigned int)code >= HUB_ERR_COUNT)
		code = HUB_ERR_INTERNAL;
	return &api_error_catalogue[code];
}

const char *
api_error_name(enum hub_error_code code)
{
	return api_error_entry(code)->name;
}

int
api_error_status(enum hub_error_code code)
{
	return api_error_entry(code)->status;
}

static const char *
api_error_pick_form(const struct api_error_forms *forms, bool has_field,
    bool has_limit)
{
	if (has_field && has_limit && forms->field_limit != NULL)
		return forms->field_limit;
	if (has_field && forms->field != NULL)
		return forms->field;
	if (has_limit && forms->limit != NULL)
		return forms->limit;
	return forms->plain;
}

/* Writes form with "{field}" and "{limit}" replaced. */
static void
api_error_expand(FILE *out, const char *form, const struct hub_error *error)
{
	while (*form != '\0') {
		if (strncmp(form, "{field}", 7) == 0) {
			fwrite(error->field, 1, strnlen(error->field,
			    sizeof error->field), out);
			form += 7;
		} else if (strncmp(form, "{limit}", 7) == 0) {
			fprintf(out, "%ld", error->limit);
			form += 7;
		} else {
			fputc(*form++, out);
		}
	}
}

/*
 * What a field must hold, for invalid_field errors on the fields that
 * citizens and clients fill in, so that the message says what to send.
 */
static const struct {
	const char *field;
	const char *vi;
	const char *en;
} api_error_hints[] = {
	{ "phone",
	  "cần một số điện thoại như 0912 345 678, +84 912 345 678, hoặc số "
	  "nước ngoài bắt đầu bằng +",
	  "expected a phone number such as 0912 345 678 or +84 912 345 678, "
	  "or a foreign number starting with +" },
	{ "email",
	  "cần một địa chỉ email như ten@example.vn",
	  "expected an email address such as name@example.vn" },
	{ "consent",
	  "cần giá trị true để đồng ý với thông báo về dữ liệu cá nhân",
	  "expected true, to consent to the personal-data notice" },
	{ "latitude",
	  "cần một số từ -90 đến 90, gửi cùng longitude",
	  "expected a number from -90 to 90, sent together with longitude" },
	{ "longitude",
	  "cần một số từ -180 đến 180, gửi cùng latitude",
	  "expected a number from -180 to 180, sent together with latitude" },
	{ "Idempotency-Key",
	  "cần từ 1 đến 255 ký tự ASCII nhìn thấy được",
	  "expected 1 to 255 visible ASCII characters" },
	{ "rating",
	  "cần một số nguyên từ 1 (rất không hài lòng) đến 5 (rất hài lòng)",
	  "expected a whole number from 1 (very dissatisfied) to 5 (very "
	  "satisfied)" },
	{ "username",
	  "cần từ 1 đến 64 ký tự a-z, 0-9, dấu chấm, gạch dưới hoặc gạch "
	  "ngang",
	  "expected 1 to 64 of a-z, 0-9, dot, underscore and hyphen" },
	{ "password",
	  "mật khẩu cần ít nhất 10 ký tự",
	  "a password needs at least 10 characters" },
	{ "role",
	  "cần một trong agent, supervisor, admin",
	  "expected one of agent, supervisor, admin" },
	{ "departments",
	  "cần một mảng mã phòng ban có trong departments của tệp cấu hình, "
	  "ít nhất một mã trừ khi vai trò là admin",
	  "expected an array of department ids from departments in the config "
	  "file, at least one unless the role is admin" },
	{ "status",
	  "cần một trong các trạng thái new, assigned, in_progress, waiting, "
	  "resolved, closed",
	  "expected one of new, assigned, in_progress, waiting, resolved, "
	  "closed" },
	{ "agent_id",
	  "cần mã của một cán bộ đang hoạt động thuộc đơn vị của phản ánh, "
	  "hoặc null để bỏ giao việc",
	  "expected the id of an enabled agent of the ticket's department, or "
	  "null to unassign" },
	{ "into",
	  "cần mã số hoặc mã phản ánh của một phản ánh khác, chưa đóng, của "
	  "cùng người dân",
	  "expected the id or code of another ticket of the same citizen that "
	  "is not closed" },
	{ "tags",
	  "cần một mảng tối đa 20 nhãn khác nhau, mỗi nhãn từ 1 đến 32 ký "
	  "tự và không chứa ký tự điều khiển",
	  "expected an array of at most 20 distinct tags of 1 to 32 "
	  "characters each, without control characters" },
	{ "contact_id",
	  "cần mã của một liên hệ của người dân gửi phản ánh",
	  "expected the id of a contact of the ticket's citizen" },
};

/*
 * Messages that replace the catalogue's for one code, picked by the
 * error's detail (a negative limit) or, with 0 as detail, by its field.
 * A form left NULL falls back to the catalogue's.
 */
static const struct {
	enum hub_error_code code;
	long detail;		/* enum hub_error_detail, or 0 for any */
	const char *field;	/* NULL for any */
	struct api_error_forms vi;
	struct api_error_forms en;
} api_error_specials[] = {
	{ HUB_ERR_INVALID_UTF8, HUB_ERROR_NUL_CHARACTER, NULL,
	  { NULL,
	    "Trường \"{field}\" chứa ký tự NUL (U+0000), ký tự này không "
	    "được phép. Hãy xóa ký tự đó rồi gửi lại.",
	    NULL,
	    "Nội dung gửi lên chứa ký tự NUL (U+0000), ký tự này không được "
	    "phép. Hãy xóa ký tự đó rồi gửi lại." },
	  { NULL,
	    "The field \"{field}\" contains a NUL character (U+0000), which "
	    "is not allowed. Remove it and send it again.",
	    NULL,
	    "The request contains a NUL character (U+0000), which is not "
	    "allowed. Remove it and send it again." } },
	{ HUB_ERR_INVALID_JSON, HUB_ERROR_NOT_OBJECT, NULL,
	  { NULL, NULL, NULL,
	    "Nội dung gửi lên phải là một đối tượng JSON ({...})." },
	  { NULL, NULL, NULL,
	    "The request body must be a JSON object ({...})." } },
	{ HUB_ERR_INVALID_FIELD, HUB_ERROR_ONE_FACTOR, NULL,
	  { NULL,
	    "Chỉ gửi một yếu tố xác minh thứ hai: token, phone_last4 hoặc "
	    "email. Hãy bỏ \"{field}\" hoặc yếu tố còn lại rồi gửi lại.",
	    NULL,
	    "Chỉ gửi một yếu tố xác minh thứ hai: token, phone_last4 hoặc "
	    "email." },
	  { NULL,
	    "Send only one second factor: token, phone_last4 or email. "
	    "Remove \"{field}\" or the other one and send it again.",
	    NULL,
	    "Send only one second factor: token, phone_last4 or email." } },
	{ HUB_ERR_INVALID_FIELD, HUB_ERROR_REPEATED, NULL,
	  { NULL,
	    "Trường \"{field}\" được gửi nhiều lần. Hãy gửi trường này đúng "
	    "một lần.",
	    NULL,
	    "Một trường được gửi nhiều lần. Hãy gửi mỗi trường đúng một "
	    "lần." },
	  { NULL,
	    "The field \"{field}\" was sent more than once. Send it exactly "
	    "once.",
	    NULL,
	    "A field was sent more than once. Send each field exactly "
	    "once." } },
	{ HUB_ERR_MISSING_FIELD, HUB_ERROR_NO_FACTOR, NULL,
	  { NULL,
	    "Thiếu yếu tố xác minh thứ hai. Hãy gửi một trong ba: token, "
	    "phone_last4 (4 số cuối của số điện thoại) hoặc email.",
	    NULL,
	    "Thiếu yếu tố xác minh thứ hai. Hãy gửi một trong ba: token, "
	    "phone_last4 (4 số cuối của số điện thoại) hoặc email." },
	  { NULL,
	    "A second factor is missing. Send one of token, phone_last4 (the "
	    "last 4 digits of your phone) or email.",
	    NULL,
	    "A second factor is missing. Send one of token, phone_last4 (the "
	    "last 4 digits of your phone) or email." } },
	{ HUB_ERR_MISSING_FIELD, HUB_ERROR_SILENT_CHANNEL, NULL,
	  { NULL,
	    "Kênh của phản ánh này không gửi được tin nhắn (như cuộc gọi tới "
	    "tổng đài), và không có kênh SMS nào gửi tới số của người gọi. Hãy "
	    "điền \"{field}\" là một liên hệ email của người dân, hoặc gọi "
	    "lại cho người dân.",
	    NULL, NULL },
	  { NULL,
	    "This ticket's channel cannot send messages (as with a call to the "
	    "hotline), and no SMS channel sends to the caller's number. Set "
	    "\"{field}\" to an email contact of the citizen, or call the "
	    "citizen back.",
	    NULL, NULL } },
	{ HUB_ERR_INVALID_FIELD, HUB_ERROR_MERGED, NULL,
	  { NULL,
	    "Người dân trong \"{field}\" đã được gộp vào một người dân "
	    "khác, nên dữ liệu của họ nằm ở người dân đó. Hãy xóa dữ liệu "
	    "của người dân có mã trong \"merged_into\".",
	    NULL, NULL },
	  { NULL,
	    "The citizen in \"{field}\" was merged into another citizen, "
	    "which now holds their data. Erase the citizen whose id is in "
	    "\"merged_into\" instead.",
	    NULL, NULL } },
	{ HUB_ERR_CONTENT_TYPE, HUB_ERROR_JSON_ONLY, NULL,
	  { NULL, NULL, NULL,
	    "Máy chủ không nhận kiểu nội dung (Content-Type) này ở địa chỉ "
	    "này. Hãy gửi lại dưới dạng application/json." },
	  { NULL, NULL, NULL,
	    "The request's Content-Type is not supported here. Send it "
	    "again as application/json." } },
	{ HUB_ERR_INVALID_FIELD, HUB_ERROR_BLANK, NULL,
	  { NULL,
	    "Trường \"{field}\" chỉ có khoảng trắng. Hãy nhập cả chữ, số "
	    "hoặc ký hiệu rồi gửi lại.",
	    NULL,
	    "Một trường chỉ có khoảng trắng. Hãy nhập cả chữ, số hoặc ký "
	    "hiệu rồi gửi lại." },
	  { NULL,
	    "The field \"{field}\" holds only white space. Put letters, "
	    "digits or symbols in it and send it again.",
	    NULL,
	    "A field holds only white space. Put letters, digits or "
	    "symbols in it and send it again." } },
	{ HUB_ERR_INVALID_FIELD, HUB_ERROR_ONE_SEARCH, NULL,
	  { NULL,
	    "Chỉ gửi một điều kiện tìm kiếm: phone, email hoặc q. Hãy bỏ "
	    "\"{field}\" hoặc điều kiện còn lại rồi gửi lại.",
	    NULL,
	    "Chỉ gửi một điều kiện tìm kiếm: phone, email hoặc q." },
	  { NULL,
	    "Send only one search term: phone, email or q. Remove "
	    "\"{field}\" or the other one and send it again.",
	    NULL,
	    "Send only one search term: phone, email or q." } },
	{ HUB_ERR_LOGIN_LOCKED, 0, "username",
	  { "Tên đăng nhập này tạm bị khóa sau nhiều lần đăng nhập sai. "
	    "Hãy thử lại sau {limit} giây. Nếu quên mật khẩu, hãy nhờ quản "
	    "trị viên đặt mật khẩu mới.",
	    "Tên đăng nhập này tạm bị khóa sau nhiều lần đăng nhập sai. "
	    "Hãy thử lại sau ít phút. Nếu quên mật khẩu, hãy nhờ quản trị "
	    "viên đặt mật khẩu mới.",
	    NULL, NULL },
	  { "This username is locked for now after too many failed "
	    "sign-ins. Try again in {limit} seconds. If you have forgotten "
	    "the password, ask an administrator to set a new one.",
	    "This username is locked for now after too many failed "
	    "sign-ins. Try again in a few minutes. If you have forgotten the "
	    "password, ask an administrator to set a new one.",
	    NULL, NULL } },
	{ HUB_ERR_LOGIN_LOCKED, 0, "address",
	  { "Đăng nhập từ địa chỉ mạng này tạm bị khóa sau nhiều lần đăng "
	    "nhập sai từ cùng địa chỉ. Hãy thử lại sau {limit} giây.",
	    "Đăng nhập từ địa chỉ mạng này tạm bị khóa sau nhiều lần đăng "
	    "nhập sai từ cùng địa chỉ. Hãy thử lại sau ít phút.",
	    NULL, NULL },
	  { "Sign-in from this network address is locked for now after too "
	    "many failed sign-ins from it. Try again in {limit} seconds.",
	    "Sign-in from this network address is locked for now after too "
	    "many failed sign-ins from it. Try again in a few minutes.",
	    NULL, NULL } },
	{ HUB_ERR_NOT_FOUND, 0, "code",
	  { NULL,
	    "Không tìm thấy phản ánh có mã này. Hãy kiểm tra lại 10 chữ số "
	    "của mã.",
	    NULL, NULL },
	  { NULL,
	    "No report has this code. Check the ten digits of the code.",
	    NULL, NULL } },
};

/* The special forms for error, or NULL when the catalogue's apply. */
static const struct api_error_forms *
api_error_special(const struct hub_error *error, bool english)
{
	size_t i;

	for (i = 0; i < sizeof api_error_specials /
	    sizeof api_error_specials[0]; i++) {
		if (api_error_specials[i].code != error->code)
			continue;
		if (api_error_specials[i].detail != 0 &&
		    api_error_specials[i].detail != error->limit)
			continue;
		if (api_error_specials[i].field != NULL &&
		    strcmp(api_error_specials[i].field, error->field) != 0)
			continue;
		return english ? &api_error_specials[i].en :
		    &api_error_specials[i].vi;
	}
	return NULL;
}

static const char *
api_error_hint(const struct hub_error *error, bool english)
{
	/* A detail says more about the value than the field's format. */
	if (error->code != HUB_ERR_INVALID_FIELD || error->limit < 0)
		return NULL;
	for (size_t i = 0; i < sizeof(api_error_hints) /
	    sizeof(api_error_hints[0]); i++)
		if (strcmp(error->field, api_error_hints[i].field) == 0)
			return english ? api_error_hints[i].en :
			    api_error_hints[i].vi;
	return NULL;
}

char *
api_error_message(const struct hub_error *error, const char *language)
{
	const struct api_error_entry *entry = api_error_entry(error->code);
	const struct api_error_forms *forms, *special;
	const char *form;
	char *text = NULL;
	size_t size = 0;
	FILE *out;

	bool english = language != NULL && strcmp(language, "en") == 0;
	const char *hint = api_error_hint(error, english);

	special = api_error_special(error, english);
	forms = english ? &entry->en : &entry->vi;
	form = api_error_pick_form(special != NULL ? special : forms,
	    error->field[0] != '\0', error->limit > 0);
	if (form == NULL)
		form = api_error_pick_form(forms, error->field[0] != '\0',
		    error->limit > 0);

	out = open_memstream(&text, &size);
	if (out == NULL)
		return NULL;
	if (hint != NULL)
		fprintf(out, english ? "The value of the field \"%s\" is "
		    "invalid: %s." : "Giá trị của trường \"%s\" không hợp lệ: "
		    "%s.", error->field, hint);
	else
		api_error_expand(out, form, error);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static int
api_error_add_message(json_t *messages, const struct hub_error *error,
    const char *language)
{
	char *text = api_error_message(error, language);
	int result;

	if (text == NULL)
		return -1;
	/* json_stringn copies, so text is freed here either way. */
	result = json_object_set_new(messages, language,
	    json_stringn(text, strlen(text)));
	free(text);
	return result;
}

json_t *
api_error_json(const struct hub_error *error)
{
	json_t *object = json_object();
	json_t *messages = json_object();

	if (object == NULL || messages == NULL)
		goto fail;
	if (json_object_set_new(object, "code",
	    json_string(api_error_name(error->code))) != 0)
		goto fail;
	if (error->field[0] != '\0' && json_object_set_new(object, "field",
	    json_stringn(error->field, strnlen(error->field,
	    sizeof error->field))) != 0)
		goto fail;
	if (error->limit > 0 && json_object_set_new(object, "limit",
	    json_integer(error->limit)) != 0)
		goto fail;
	if (api_error_add_message(messages, error, "vi") != 0 ||
	    api_error_add_message(messages, error, "en") != 0)
		goto fail;

	/* set_new steals messages, so it is not released below. */
	if (json_object_set_new(object, "message", messages) != 0) {
		json_decref(object);
		return NULL;
	}
	return object;

fail:
	json_decref(messages);
	json_decref(object);
	return NULL;
}

json_t *
api_error_json_retry(const struct hub_error *error, long retry_seconds)
{
	json_t *object = api_error_json(error);
	json_t *messages = json_object_get(object, "message");
	char vi[256], en[256];

	if (object == NULL)
		return NULL;
	snprintf(vi, sizeof vi, "Bạn đã gửi quá %ld yêu cầu trong một phút. "
	    "Hãy chờ %ld giây rồi thử lại.", error->limit, retry_seconds);
	snprintf(en, sizeof en, "You sent more than %ld requests in a minute. "
	    "Wait %ld seconds and try again.", error->limit, retry_seconds);
	if (json_object_set_new(messages, "vi", json_string(vi)) != 0 ||
	    json_object_set_new(messages, "en", json_string(en)) != 0) {
		json_decref(object);
		return NULL;
	}
	return object;
}

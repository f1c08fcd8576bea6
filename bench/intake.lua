-- wrk script of bench/intake: posts citizens' reports as JSON to
-- POST /api/v1/requests and counts the responses by HTTP status.
--
-- Each request combines a name, a phone number, a category, a subject and a
-- description from the tables below, so that bodies differ in length and
-- content as real reports do. Every body sets "consent": true, because the
-- daemon rejects personal data without it.
--
-- done() prints, summed over all threads, one line "status_STATUS COUNT" for
-- each HTTP status seen, "non201 COUNT", the socket errors and the latency
-- percentiles in microseconds ("latency_us_p99 12967"). bench/intake reads
-- those lines: only 201 responses count as acknowledged tickets.

local names = {
	"Nguyễn Văn An", "Trần Thị Bích Ngọc", "Lê Hoàng Minh", "Phạm Thu Hà",
	"Hoàng Đức Thắng", "Võ Thị Kim Oanh", "Đặng Quốc Bảo", "Bùi Thị Lan",
	"Đỗ Minh Tuấn", "Huỳnh Ngọc Hân", "Ngô Thanh Sơn", "Dương Mỹ Linh",
}

local categories = {
	"chieu_sang", "rac_thai", "giao_thong", "cap_nuoc", "thoat_nuoc",
	"cay_xanh", "trat_tu_do_thi", "tieng_on",
}

local streets = {
	"Lê Lợi, phường Bến Thành, Quận 1",
	"Nguyễn Trãi, phường 7, Quận 5",
	"Trần Hưng Đạo, phường Cầu Kho, Quận 1",
	"Hai Bà Trưng, phường Tân Định, Quận 1",
	"Điện Biên Phủ, phường 15, Bình Thạnh",
	"Cách Mạng Tháng Tám, phường 11, Quận 3",
}

local reports = {
	{ "Đèn đường hỏng",
	  "Đèn đường trước nhà số %d không sáng đã ba đêm liền, đoạn đường rất tối và nguy hiểm cho người đi bộ." },
	{ "Rác thải không được thu gom",
	  "Rác thải tại đầu hẻm %d đã không được thu gom gần một tuần, bốc mùi hôi và thu hút chuột, gián. Đề nghị phường cho xe đến thu gom sớm." },
	{ "Ổ gà trên đường",
	  "Mặt đường có ổ gà lớn gần nhà số %d, sâu khoảng mười phân. Tối qua có hai xe máy bị ngã ở đây." },
	{ "Mất nước sinh hoạt",
	  "Khu vực quanh nhà số %d bị mất nước từ sáng hôm qua mà không có thông báo trước. Nhiều hộ có người già và trẻ nhỏ." },
	{ "Ngập nước khi mưa",
	  "Mỗi lần mưa lớn, đoạn đường trước số %d ngập sâu đến đầu gối, cống thoát nước bị tắc. Xin kiểm tra và nạo vét cống." },
	{ "Cây xanh có nguy cơ gãy đổ",
	  "Cây me lớn trước nhà số %d bị nghiêng, nhiều cành khô treo trên dây điện. Mùa mưa bão sắp đến, người dân rất lo lắng." },
	{ "Lấn chiếm vỉa hè",
	  "Quán ăn ở số %d bày bàn ghế chiếm hết vỉa hè, người đi bộ phải đi xuống lòng đường." },
	{ "Tiếng ồn ban đêm",
	  "Công trình xây dựng cạnh nhà số %d làm việc đến hai giờ sáng, tiếng máy khoan rất lớn, cả khu phố không ngủ được." },
}

local phone_prefixes = { "090", "091", "093", "097", "098", "086", "070", "083" }

-- thread_id is set by setup() through thread:set, and statuses is read by
-- done() through thread:get, so both must be globals of the thread's state.
thread_id = 0
statuses = {}
local counter = 0
local threads = {}

function setup(thread)
	thread:set("thread_id", #threads + 1)
	table.insert(threads, thread)
end

function init(args)
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/json"
	-- Seed per thread so that threads send different sequences.
	math.randomseed(os.time() + thread_id * 7919)
	-- Phone numbers use the counter's last seven digits. This offset keeps
	-- the threads' numbers apart for their first million requests.
	counter = thread_id * 1000003
end

local function pick(list)
	return list[math.random(#list)]
end

-- The body is formatted without JSON escaping, because every text above is
-- plain UTF-8 without quotes or backslashes, and the numbers are digits.
function request()
	counter = counter + 1
	local report = pick(reports)
	local house = math.random(1, 400)
	local body = string.format(
		'{"name":"%s","phone":"%s%07d","subject":"%s","description":"%s",' ..
		'"category":"%s","address":"%d %s","language":"vi","consent":true}',
		pick(names), pick(phone_prefixes), counter % 10000000,
		report[1], string.format(report[2], house), pick(categories),
		house, pick(streets))
	return wrk.format(nil, "/api/v1/requests", nil, body)
end

function response(status, headers, body)
	statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
	local totals = {}
	for _, thread in ipairs(threads) do
		local counts = thread:get("statuses")
		for status, count in pairs(counts) do
			totals[status] = (totals[status] or 0) + count
		end
	end
	local non201 = 0
	for status, count in pairs(totals) do
		io.write(string.format("status_%d %d\n", status, count))
		if status ~= 201 then
			non201 = non201 + count
		end
	end
	io.write(string.format("non201 %d\n", non201))
	io.write(string.format("socket_errors connect=%d read=%d write=%d timeout=%d\n",
		summary.errors.connect, summary.errors.read, summary.errors.write,
		summary.errors.timeout))
	for _, p in ipairs({ 50, 90, 99, 99.9 }) do
		io.write(string.format("latency_us_p%s %d\n", tostring(p),
			latency:percentile(p)))
	end
end

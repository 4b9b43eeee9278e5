-- POST /open311/v2/requests.json with varied, realistic appeals (wrk's Lua, one per request).
local key = os.getenv("OPEN311_KEY")
local places = {"五津镇", "花源镇", "花桥镇", "邓双镇", "金华镇", "安西镇", "兴义镇", "永商镇", "宝墩镇", "普兴镇", "文井乡", "方兴乡"}
local problems = {
  {"urban.sanitation", "门口的垃圾好几天没人清运了"},
  {"urban.streetlights", "路灯晚上不亮，走路很危险"},
  {"environment.noise", "工地夜间施工噪音很大，睡不着"},
  {"water.supply", "小区停水一天了，自来水一直没来"},
  {"transport.roads", "路面坑洼破损，车辆容易出事"},
  {"market", "超市卖过期食品，消费者投诉"},
  {"social-security", "老板拖欠工资三个月了"},
  {"consultation", "请问办理居住证需要什么材料"},
}
local counter = 0
-- each wrk thread has its own Lua state: seed it apart (a table's address differs per state)
math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)

local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

request = function()
  counter = counter + 1
  local place = places[math.random(#places)]
  local p = problems[math.random(#problems)]
  local description = place .. "第" .. math.random(1, 300) .. "号附近" .. p[2] .. "（编号" .. counter .. "）"
  local body = "api_key=" .. urlencode(key) .. "&service_code=" .. p[1] .. "&address_string=" .. urlencode(place)
    .. "&description=" .. urlencode(description) .. "&phone=139" .. string.format("%08d", math.random(0, 99999999))
  return wrk.format("POST", "/open311/v2/requests.json", {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end

local codes = {}
response = function(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors=%d p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f rps=%.1f\n",
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.requests / (summary.duration / 1e6)))
end

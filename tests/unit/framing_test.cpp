// The JSON-lines framing and request parsing: partial lines, oversized lines,
// garbage. Pure.
#include <gtest/gtest.h>

#include "runtime/api/framing.hpp"
#include "runtime/api/protocol.hpp"

namespace zone::api {
namespace {

using S = LineBuffer::Status;

TEST(Framing_LineBuffer, SplitsLinesAcrossFeeds) {
    LineBuffer b;
    std::string line;
    b.feed("{\"a\":");
    EXPECT_EQ(b.next(line), S::NeedMore);
    b.feed("1}\n{\"b\":2}\r\n{\"c\"");
    ASSERT_EQ(b.next(line), S::Line);
    EXPECT_EQ(line, "{\"a\":1}");
    ASSERT_EQ(b.next(line), S::Line);
    EXPECT_EQ(line, "{\"b\":2}");  // CR stripped
    EXPECT_EQ(b.next(line), S::NeedMore);
    b.feed(":3}\n");
    ASSERT_EQ(b.next(line), S::Line);
    EXPECT_EQ(line, "{\"c\":3}");
}

TEST(Framing_LineBuffer, OversizedLineIsReportedOnceAndSkipped) {
    LineBuffer b(16);
    std::string line;
    b.feed(std::string(40, 'x'));
    EXPECT_EQ(b.next(line), S::TooLong);
    b.feed(std::string(40, 'y'));
    EXPECT_EQ(b.next(line), S::NeedMore);  // still inside the long line: no second report
    b.feed("zz\nok\n");
    ASSERT_EQ(b.next(line), S::Line);
    EXPECT_EQ(line, "ok");
    EXPECT_EQ(b.buffered(), 0U);
}

TEST(Framing_LineBuffer, OversizedLineInOneChunk) {
    LineBuffer b(8);
    std::string line;
    b.feed(std::string(20, 'x') + "\nshort\n");
    EXPECT_EQ(b.next(line), S::TooLong);
    ASSERT_EQ(b.next(line), S::Line);
    EXPECT_EQ(line, "short");
}

TEST(Framing_LineBuffer, LineOfExactlyTheLimitPasses) {
    LineBuffer b(8);
    std::string line;
    b.feed("12345678\n");
    ASSERT_EQ(b.next(line), S::Line);
    EXPECT_EQ(line, "12345678");
}

TEST(Protocol_ParseRequest, AcceptsAWellFormedRequest) {
    auto r = parse_request(R"({"id":7,"method":"zone.list","params":{"a":1},"nfds":2})");
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->id, 7);
    EXPECT_EQ(r->method, "zone.list");
    EXPECT_EQ(r->params["a"], 1);
    EXPECT_EQ(r->nfds, 2);
}

TEST(Protocol_ParseRequest, RejectsGarbageWithStableCodes) {
    struct Case { const char* line; const char* code; };
    for (Case c : {Case{"not json", code::kParse}, Case{"[1,2]", code::kInvalidRequest},
                   Case{R"({"id":1})", code::kInvalidRequest},
                   Case{R"({"id":1,"method":""})", code::kInvalidRequest},
                   Case{R"({"id":[1],"method":"x"})", code::kInvalidRequest},
                   Case{R"({"id":1,"method":"x","params":[1]})", code::kInvalidRequest},
                   Case{R"({"id":1,"method":"x","nfds":99})", code::kInvalidRequest},
                   Case{"\xff\xfe", code::kParse}}) {
        auto r = parse_request(c.line);
        ASSERT_FALSE(r) << c.line;
        EXPECT_EQ(r.error().code, c.code) << c.line;
    }
}

TEST(Protocol_Encode, ErrorCarriesCodeAndMessage) {
    Error e = sys_error(ENOENT, "open(/x)").wrap("zone 'web'");
    auto j = json::parse(encode_error(3, e));
    EXPECT_EQ(j["id"], 3);
    EXPECT_EQ(j["error"]["code"], "ENOENT");
    EXPECT_EQ(j["error"]["message"], "zone 'web': open(/x): No such file or directory (ENOENT)");
}

TEST(Protocol_Encode, InvalidUtf8IsReplacedNotThrown) {
    std::string line = encode_error(nullptr, make_error("EINVAL", "bad \xff byte"));
    EXPECT_EQ(line.back(), '\n');
    EXPECT_FALSE(json::parse(line, nullptr, false).is_discarded());
}

TEST(Protocol_Params, TypedAccessNamesTheParameter) {
    json p{{"name", 5}, {"force", "yes"}};
    auto s = param_string(p, "name");
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message().find("'name'"), std::string::npos);
    EXPECT_FALSE(param_bool(p, "force", false));
    EXPECT_EQ(*param_int(p, "timeout", 30), 30);
}

} // namespace
} // namespace zone::api

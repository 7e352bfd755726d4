// The library a template can call: attribute and item access (with Python's str,
// dict and list methods), filters, tests and the globals Hugging Face provides.
#pragma once

#include <ctime>
#include <string>

#include "chat_template/value.h"

namespace chat_template {

// obj.name: a dict member or method, a string method, a namespace member...
// Undefined when absent; fails on an undefined obj (as Jinja does).
Value getAttr(const Value& obj, const std::string& name);
// obj[key]: list/string index (negative from the end), dict member; Undefined when absent.
Value getItem(const Value& obj, const Value& key);
// obj[start:stop:step] on lists and strings.
Value getSlice(const Value& obj, const Value& start, const Value& stop, const Value& step);

// Throws a runtime Failure for an unknown filter or test, or bad arguments.
Value applyFilter(const std::string& name, const Value& value, const CallArgs& args);
bool applyTest(const std::string& name, const Value& value, const CallArgs& args);
bool hasTest(const std::string& name);
bool hasFilter(std::string_view name);  // implemented here
// Whether Jinja 3.1 has a filter / test of that name (implemented here or not): the
// parser rejects other names as Jinja's compiler does.
bool isKnownFilter(std::string_view name);
bool isKnownTest(std::string_view name);

// raise_exception, strftime_now (on the given clock), namespace, range, dict.
Vars makeGlobals(const std::tm& now);

// Python's `format % values` (printf-style) and str.format(*args, **kwargs).
std::string percentFormat(const std::string& format, const Value& values);
std::string strFormat(const std::string& format, const CallArgs& args);

// Python's len(): code points of a string, items of a list or dict.
int64_t pyLen(const Value& v);

}  // namespace chat_template

package flopack

import (
	"sort"
	"strings"

	"github.com/hookflow/hookflow/flows"
)

// rule says how one Okta card becomes a Hookflow card.
type rule struct {
	// Type is the Hookflow card type.
	Type string
	// In lists the Hookflow card's inputs in the order of Okta's:
	// "okta>hookflow" renames an input, a bare key keeps its name. An Okta
	// input not named here takes the next input not taken yet.
	In string
	// Out renames outputs the same way; its first bare key takes every
	// Okta output not named.
	Out string
	// How is the translation's special handling, "" for none.
	How how
}

type how int

const (
	plainCard   how = iota
	addedInputs     // Okta's inputs become added inputs (Construct, Concatenate, Return …)
	mirror          // added inputs, and the outputs are the inputs (Assign)
	compose         // _text_ with {{{key}}} placeholders becomes text with references
	formula         // the expression's {{{key}}} placeholders become the inputs' names
	condition       // left-operand, operator, right-operand become a, operator, b
	callFlow        // flo names the helper flow; the rest are its inputs
	loop            // flo names the helper flow called per item
	pick            // outputs are added, their dotted keys nested with "/"
	lookup          // the options group becomes the cases object
	ifElse          // structural: If/Else with branches and a join
	ifElseIf        // structural: If/ElseIf with inline lanes
	ifError         // structural: If Error with try and catch lanes
	structural      // noop, join, expand, callable: they become structure, not cards
	tableCard       // a Tables card on a table of the pack
	eventCard       // an event card (kernel http:accept, http:delegated)
)

// kernel is the Okta address (without its version) → Hookflow card table.
var kernel = map[string]rule{
	// Control
	"root:kernel:control:comment":            {Type: flows.ControlComment, In: "text", Out: ""},
	"root:kernel:control:return":             {Type: flows.ControlReturn, How: addedInputs},
	"root:kernel:control:returnRaw":          {Type: flows.ControlReturnRaw, In: "statusCode>status headers body"},
	"root:kernel:control:continueIf":         {Type: flows.ControlContinueIf, In: "a operator b", How: condition},
	"root:kernel:control:if":                 {Type: flows.ControlIfElse, How: ifElse},
	"root:kernel:control:branch":             {Type: flows.ControlIfElseIf, How: ifElseIf},
	"root:kernel:control:tryCatch":           {Type: flows.ControlIfError, How: ifError},
	"root:kernel:control:let":                {Type: flows.ControlAssign, How: mirror},
	"root:kernel:control:assignIf":           {Type: flows.ControlAssignIf, In: "a operator b value-if-true>then value-if-false>else", Out: "output", How: condition},
	"root:kernel:control:spawn":              {Type: flows.ControlCallFlow, How: callFlow},
	"root:kernel:control:run":                {Type: flows.ControlCallFlowAsync, How: callFlow},
	"root:kernel:control:throw":              {Type: flows.ControlReturnError, In: "statusCode>status message"},
	"root:kernel:control:throwIf":            {Type: flows.ControlReturnErrorIf, In: "a operator b statusCode>status message", How: condition},
	"root:kernel:control:times":              {Type: flows.ControlRepeat, In: "count>times concurrency", Out: "output", How: loop},
	"root:kernel:control:wait":               {Type: flows.ControlWaitFor, In: "delay>amount unit"},
	"root:kernel:control:until":              {Type: flows.ControlWaitUntil, In: "date>until"},
	"root:kernel:control:lookup":             {Type: flows.ControlLookup, In: "value else>default", Out: "result", How: lookup},
	"root:kernel:list:each":                  {Type: flows.ControlForEach, In: "list concurrency", How: loop},
	"root:kernel:list:asyncEach":             {Type: "control.for_each_ignore_errors", In: "list concurrency", How: loop},
	"root:kernel:list:map":                   {Type: flows.ControlMap, In: "list concurrency", Out: "output", How: loop},
	"root:kernel:list:filter":                {Type: flows.ControlFilter, In: "list concurrency", Out: "output", How: loop},
	"root:kernel:list:reduce":                {Type: flows.ControlReduce, In: "list memo", Out: "output", How: loop},
	"root:kernel:object:map":                 {Type: "control.map_to_list", In: "object concurrency", Out: "output", How: loop},
	"root:kernel:utility:exportFlo":          {Type: "flow.export", Out: "json flow name", How: loop},
	"root:kernel:control:noop":               {How: structural},
	"root:kernel:control:join":               {How: structural},
	"root:kernel:control:callable":           {How: structural},
	"root:kernel:object:expand":              {How: structural},
	"root:kernel:http:accept":                {Type: flows.EventAPIEndpoint, How: eventCard},
	"root:kernel:http:delegated":             {Type: flows.EventManual, How: eventCard},
	"root:channels:http:httpfunctions:close": {Type: flows.ControlHTTPClose, In: "statusCode>status headers body"},

	// Text
	"root:kernel:string:compose":      {Type: "text.compose", Out: "output", How: compose},
	"root:kernel:string:concat":       {Type: "text.concatenate", Out: "output", How: addedInputs},
	"root:kernel:string:substr":       {Type: "text.segment", In: "string>text start end", Out: "output"},
	"root:kernel:string:split":        {Type: "text.split", In: "string>text delimiter>separator", Out: "output"},
	"root:kernel:string:toLowerCase":  {Type: "text.lower", In: "string>text", Out: "output"},
	"root:kernel:string:toUpperCase":  {Type: "text.upper", In: "string>text", Out: "output"},
	"root:kernel:string:trim":         {Type: "text.trim", In: "string>text", Out: "output"},
	"root:kernel:string:length":       {Type: "text.length", In: "string>text", Out: "length"},
	"root:kernel:string:replace":      {Type: "text.replace", In: "string>text find replace", Out: "output"},
	"root:kernel:string:replaceAny":   {Type: "text.replace_patterns", In: "string>text patterns replacement", Out: "output"},
	"root:kernel:string:match":        {Type: "text.find_pattern", In: "string>text pattern", Out: "matches"},
	"root:kernel:string:find":         {Type: "text.find", In: "string>text search start", Out: "position"},
	"root:kernel:string:lastIndexOf":  {Type: "text.find_last", In: "string>text search", Out: "position"},
	"root:kernel:string:base64":       {Type: "text.base64_encode", In: "string>text", Out: "output"},
	"root:kernel:string:base64Decode": {Type: "text.base64_decode", In: "string>text", Out: "output"},
	"root:kernel:string:random":       {Type: "text.random", In: "length", Out: "output"},
	"root:kernel:string:email":        {Type: "text.find_email", In: "string>text", Out: "email emails"},
	"root:kernel:url:encodeComponent": {Type: "url.encode_component", In: "string>text", Out: "output"},
	"root:kernel:url:decodeComponent": {Type: "url.decode_component", In: "string>text", Out: "output"},

	// Number
	"root:kernel:math:add":        {Type: "number.add", In: "a b", Out: "output"},
	"root:kernel:math:subtract":   {Type: "number.subtract", In: "a b", Out: "output"},
	"root:kernel:math:multiply":   {Type: "number.multiply", In: "a b", Out: "output"},
	"root:kernel:math:divide":     {Type: "number.divide", In: "a b", Out: "output"},
	"root:kernel:math:round":      {Type: "number.round", In: "number places", Out: "output"},
	"root:kernel:math:ceil":       {Type: "number.round_up", In: "number places", Out: "output"},
	"root:kernel:math:random":     {Type: "number.random_integer", In: "min max", Out: "output"},
	"root:kernel:math:expression": {Type: "number.formula", Out: "output", How: formula},

	// True/False
	"root:kernel:boolean:and":     {Type: "bool.and", In: "a b", Out: "output"},
	"root:kernel:boolean:or":      {Type: "bool.or", In: "a b", Out: "output"},
	"root:kernel:boolean:xor":     {Type: "bool.xor", In: "a b", Out: "output"},
	"root:kernel:boolean:not":     {Type: "bool.not", In: "value", Out: "output"},
	"root:kernel:boolean:compare": {Type: "bool.compare", In: "a operator b", Out: "output", How: condition},

	// List
	"root:kernel:list:construct":    {Type: "list.construct", Out: "output", How: addedInputs},
	"root:kernel:list:at":           {Type: "list.at", In: "list index", Out: "item"},
	"root:kernel:list:pluck":        {Type: "list.pluck", In: "list key>path", Out: "output"},
	"root:kernel:list:length":       {Type: "list.length", In: "list", Out: "length"},
	"root:kernel:list:join":         {Type: "list.to_text", In: "list separator", Out: "output"},
	"root:kernel:list:flatten":      {Type: "list.flatten", In: "list", Out: "output"},
	"root:kernel:list:includes":     {Type: "list.includes", In: "list value", Out: "output"},
	"root:kernel:list:push":         {Type: "list.append", In: "list item", Out: "output"},
	"root:kernel:list:pop":          {Type: "list.last", In: "list", Out: "item list>rest"},
	"root:kernel:list:shift":        {Type: "list.first", In: "list", Out: "item list>rest"},
	"root:kernel:list:uniqueBy":     {Type: "list.unique", In: "list path", Out: "output"},
	"root:kernel:list:sortBy":       {Type: "list.sort", In: "list path order", Out: "output"},
	"root:kernel:list:union":        {Type: "list.union", In: "a b", Out: "output"},
	"root:kernel:list:intersection": {Type: "list.intersection", In: "a b", Out: "output"},
	"root:kernel:list:difference":   {Type: "list.difference", In: "a b", Out: "output"},
	"root:kernel:list:filterBy":     {Type: "list.filter", In: "list path operator value", Out: "output", How: condition},
	"root:kernel:list:findBy":       {Type: "list.find", In: "list path operator value", Out: "item index", How: condition},
	"root:kernel:list:collapse":     {Type: "list.collapse", In: "list key value", Out: "output"},
	"root:kernel:list:sample":       {Type: "list.sample", In: "list count", Out: "output item"},

	// Object
	"root:kernel:object:construct":  {Type: "object.construct", Out: "output", How: addedInputs},
	"root:kernel:object:get":        {Type: "object.get", In: "object path", Out: "value"},
	"root:kernel:object:pick":       {Type: "object.get_multiple", In: "object", How: pick},
	"root:kernel:object:set":        {Type: "object.set", In: "object path value", Out: "output"},
	"root:kernel:object:merge":      {Type: "object.merge", In: "a b deep", Out: "output"},
	"root:kernel:object:values":     {Type: "object.values", In: "object", Out: "output"},
	"root:kernel:object:keys":       {Type: "object.keys", In: "object", Out: "output"},
	"root:kernel:object:clearEmpty": {Type: "object.clear_empty", In: "object", Out: "output"},

	// JSON
	"root:kernel:json:parse":     {Type: "json.parse", In: "string>json", Out: "output"},
	"root:kernel:json:stringify": {Type: "json.stringify", In: "object>value pretty", Out: "output"},

	// Date & Time
	"root:kernel:date:now":       {Type: "date.now", Out: "output date>output"},
	"root:kernel:date:add":       {Type: "date.add", In: "date amount unit", Out: "output"},
	"root:kernel:date:subtract":  {Type: "date.subtract", In: "date amount unit", Out: "output"},
	"root:kernel:date:diff":      {Type: "date.difference", In: "start end unit", Out: "difference"},
	"root:kernel:date:format":    {Type: "date.to_text", In: "date format timezone", Out: "output"},
	"root:kernel:date:parse":     {Type: "date.from_text", In: "string>text format timezone", Out: "output"},
	"root:kernel:date:fromISO":   {Type: "date.convert", In: "date timezone format", Out: "date iso epoch unix human custom"},
	"root:kernel:date:epoch":     {Type: "date.to_epoch", In: "date", Out: "epoch"},
	"root:kernel:date:unix":      {Type: "date.to_unix", In: "date", Out: "unix"},
	"root:kernel:date:fromEpoch": {Type: "date.from_epoch", In: "epoch", Out: "date"},
	"root:kernel:date:fromUnix":  {Type: "date.from_unix", In: "unix", Out: "date"},

	// Crypto, JWT
	"root:kernel:crypto:hmac": {Type: "crypto.hmac", In: "key message algorithm encoding", Out: "output"},
	"root:kernel:jwt:sign":    {Type: "jwt.sign", In: "algorithm key claims expiresIn keyId", Out: "token"},

	// Okta's HTTP cards
	"root:channels:http:httpfunctions:raw":    {Type: "http.raw", In: "url method query headers body", Out: "statusCode>status headers body"},
	"root:channels:http:httpfunctions:get":    {Type: "http.get", In: "url query headers", Out: "statusCode>status headers body"},
	"root:channels:http:httpfunctions:post":   {Type: "http.post", In: "url query headers body", Out: "statusCode>status headers body"},
	"root:channels:http:httpfunctions:put":    {Type: "http.put", In: "url query headers body", Out: "statusCode>status headers body"},
	"root:channels:http:httpfunctions:patch":  {Type: "http.patch", In: "url query headers body", Out: "statusCode>status headers body"},
	"root:channels:http:httpfunctions:delete": {Type: "http.delete", In: "url query headers", Out: "statusCode>status headers body"},

	// Okta's Tables cards (stash): on the pack's tables.
	"root:channels:http:stash:createRow":   {Type: flows.TableCreateRow, Out: "id row", How: tableCard},
	"root:channels:http:stash:readRow":     {Type: flows.TableReadRow, In: "id", Out: "row", How: tableCard},
	"root:channels:http:stash:updateRow":   {Type: flows.TableUpdateRow, In: "id", Out: "row", How: tableCard},
	"root:channels:http:stash:deleteRow":   {Type: flows.TableDeleteRow, In: "id", How: tableCard},
	"root:channels:http:stash:searchRows2": {Type: flows.TableSearch, In: "limit sort descending first", Out: "rows count row", How: tableCard},
	"root:channels:http:stash:searchRows":  {Type: flows.TableSearch, In: "limit sort descending first", Out: "rows count row", How: tableCard},
	"root:channels:http:stash:readTable":   {Type: flows.TableReadAll, In: "limit", Out: "rows count", How: tableCard},
	"root:channels:http:stash:clearTable":  {Type: flows.TableClear, Out: "deleted", How: tableCard},
	"root:channels:http:stash:exportToCSV": {Type: flows.TableExportCSV, Out: "csv", How: tableCard},
}

// ruleFor finds the rule for an Okta address, whatever its version.
func ruleFor(addr string) (rule, bool) {
	r, ok := kernel[addressKey(addr)]
	return r, ok
}

// Addresses lists the Okta addresses (without version) the translation
// knows, sorted.
func Addresses() []string {
	out := make([]string, 0, len(kernel))
	for k := range kernel {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Okta's comparison operators and Hookflow's.
var operators = map[string]string{
	"==": "equal", "===": "equal", "eq": "equal", "equal": "equal",
	"!=": "not_equal", "!==": "not_equal", "neq": "not_equal",
	">": "greater", ">=": "greater_or_equal", "<": "less", "<=": "less_or_equal",
	"in": "in", "not in": "not_in", "contains": "contains", "does not contain": "not_contains",
	"starts with": "starts_with", "ends with": "ends_with",
	"is empty": "is_empty", "is not empty": "is_not_empty", "has key": "has_key", "multiple of": "multiple_of",
}

// conditionKeys are Okta's names of a comparison's inputs.
var conditionKeys = map[string]string{"left-operand": "a", "operator": "operator", "right-operand": "b", "comparison": "operator"}

// keys are a rule's key list: the Hookflow keys in order, and the renames.
func keys(spec string) (order []string, rename map[string]string) {
	rename = map[string]string{}
	for _, tok := range strings.Fields(spec) {
		from, to, ok := strings.Cut(tok, ">")
		if !ok {
			to = from
		}
		if ok {
			rename[from] = to
		}
		order = append(order, to)
	}
	return order, rename
}

// RuleKeys is what the translation makes of an Okta address: the Hookflow
// card type ("" for cards that become structure) and the Hookflow input
// and output keys its rule names; ok is false for an unknown address.
func RuleKeys(addr string) (typ string, in, out []string, ok bool) {
	r, ok := ruleFor(addr)
	in, _ = keys(r.In)
	out, _ = keys(r.Out)
	return r.Type, in, out, ok
}

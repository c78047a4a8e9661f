package web

import (
	"encoding/json"
	"fmt"
	"reflect"

	ttrhttp "github.com/ttr-rip/ttr/http"
)

// AggregateValueDiff compares the aggregate as the dashboard reads its JSON with the value the
// API hands in-process, as the dashboard converts it: "" when they are equal.
func AggregateValueDiff(body []byte, v *ttrhttp.Aggregate) string {
	var fromJSON apiAggregate
	if err := json.Unmarshal(body, &fromJSON); err != nil {
		return err.Error()
	}
	fromValue := aggregateOf(v)
	if reflect.DeepEqual(fromJSON, fromValue) {
		return ""
	}
	for i := range fromJSON.Checks.Items {
		if i < len(fromValue.Checks.Items) && !reflect.DeepEqual(fromJSON.Checks.Items[i], fromValue.Checks.Items[i]) {
			return fmt.Sprintf("check %d:\n JSON  %+v\n value %+v", i, fromJSON.Checks.Items[i], fromValue.Checks.Items[i])
		}
	}
	return fmt.Sprintf("JSON  %+v\nvalue %+v", fromJSON, fromValue)
}

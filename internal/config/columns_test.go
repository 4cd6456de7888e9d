package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestColumnsSynonymKeys(t *testing.T) {
	t.Run("a synonym key is accepted and given as its field", func(t *testing.T) {
		c, err := Load(write(t, "columns:\n  completion_date: [\"Finished On\"]\n  Person Number: [\"Payroll No\"]\n  completed: [\"Done\"]\n"))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]string{
			"completed":       {"Done", "Finished On"}, // the field's own key first
			"employee_number": {"Payroll No"},
		}
		if got := c.Aliases(); !reflect.DeepEqual(got, want) {
			t.Errorf("Aliases() = %v, want %v", got, want)
		}
	})
	t.Run("an unknown key is still refused", func(t *testing.T) {
		_, err := Load(write(t, "columns:\n  completion_day: [\"Finished On\"]\n"))
		if err == nil || !strings.Contains(err.Error(), `unknown field "completion_day"`) {
			t.Fatalf("err = %v", err)
		}
	})
}

package browser_test

import (
	"testing"

	"github.com/hookflow/hookflow/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// PS3.8 Table 9-10, checked cell by cell against a second, independent transcription (the rows
// below are typed from the standard's table, not generated from fsm.cpp).
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "dicom/ul/fsm.hpp"

namespace acc::dicom::ul {
namespace {

// One row per event; 13 cells for Sta1..Sta13; "-" = empty; "AA-8/13" = action/next state.
const char* const kRows[19] = {
    /* Evt1  */ "AE-1/4 - - - - - - - - - - - -",
    /* Evt2  */ "- - - AE-2/5 - - - - - - - - -",
    /* Evt3  */
    "- AA-1/13 AA-8/13 - AE-3/6 AA-8/13 AA-8/13 AA-8/13 AA-8/13 AA-8/13 AA-8/13 AA-8/13 AA-6/13",
    /* Evt4  */
    "- AA-1/13 AA-8/13 - AE-4/1 AA-8/13 AA-8/13 AA-8/13 AA-8/13 AA-8/13 AA-8/13 AA-8/13 AA-6/13",
    /* Evt5  */ "AE-5/2 - - - - - - - - - - - -",
    /* Evt6  */
    "- AE-6/3 AA-8/13 - AA-8/13 AA-8/13 AA-8/13 AA-8/13 AA-8/13 AA-8/13 AA-8/13 AA-8/13 AA-7/13",
    /* Evt7  */ "- - AE-7/6 - - - - - - - - - -",
    /* Evt8  */ "- - AE-8/13 - - - - - - - - - -",
    /* Evt9  */ "- - - - - DT-1/6 - AR-7/8 - - - - -",
    /* Evt10 */
    "- AA-1/13 AA-8/13 - AA-8/13 DT-2/6 AR-6/7 AA-8/13 AA-8/13 AA-8/13 AA-8/13 AA-8/13 AA-6/13",
    /* Evt11 */ "- - - - - AR-1/7 - - - - - - -",
    /* Evt12 */
    "- AA-1/13 AA-8/13 - AA-8/13 AR-2/8 AR-8/9 AA-8/13 AA-8/13 AA-8/13 AA-8/13 AA-8/13 AA-6/13",
    /* Evt13 */
    "- AA-1/13 AA-8/13 - AA-8/13 AA-8/13 AR-3/1 AA-8/13 AA-8/13 AR-10/12 AR-3/1 AA-8/13 AA-6/13",
    /* Evt14 */ "- - - - - - - AR-4/13 AR-9/11 - - AR-4/13 -",
    /* Evt15 */
    "- - AA-1/13 AA-2/1 AA-1/13 AA-1/13 AA-1/13 AA-1/13 AA-1/13 AA-1/13 AA-1/13 AA-1/13 -",
    /* Evt16 */ "- AA-2/1 AA-3/1 - AA-3/1 AA-3/1 AA-3/1 AA-3/1 AA-3/1 AA-3/1 AA-3/1 AA-3/1 AA-2/1",
    /* Evt17 */
    "- AA-5/1 AA-4/1 AA-4/1 AA-4/1 AA-4/1 AA-4/1 AA-4/1 AA-4/1 AA-4/1 AA-4/1 AA-4/1 AR-5/1",
    /* Evt18 */ "- AA-2/1 - - - - - - - - - - AA-2/1",
    /* Evt19 */
    "- AA-1/13 AA-8/13 - AA-8/13 AA-8/13 AA-8/13 AA-8/13 AA-8/13 AA-8/13 AA-8/13 AA-8/13 AA-7/13",
};

TEST(FsmTable, EveryCellMatchesTable9_10) {
  int defined = 0;
  for (int e = 1; e <= 19; ++e) {
    std::istringstream row(kRows[e - 1]);
    for (int s = 1; s <= 13; ++s) {
      std::string cell;
      ASSERT_TRUE(row >> cell) << "row " << e;
      const auto t = transition(static_cast<State>(s), static_cast<Event>(e));
      SCOPED_TRACE(std::string("Sta") + std::to_string(s) + " + Evt" + std::to_string(e));
      if (cell == "-") {
        EXPECT_FALSE(t.has_value());
        continue;
      }
      ++defined;
      ASSERT_TRUE(t.has_value());
      const auto slash = cell.find('/');
      EXPECT_EQ(action_name(t->action), cell.substr(0, slash));
      EXPECT_EQ(static_cast<int>(t->next), std::stoi(cell.substr(slash + 1)));
    }
  }
  EXPECT_EQ(defined, 123);  // as in pynetdicom's transcription
}

// Network events (PDUs, close, bad PDU) can happen whenever a connection exists, so each must have
// a cell in every connected state: otherwise the driver would have no defined reaction.
TEST(FsmTable, NetworkEventsDefinedInEveryConnectedState) {
  const Event network[] = {Event::Evt3,  Event::Evt4,  Event::Evt6,  Event::Evt10, Event::Evt12,
                           Event::Evt13, Event::Evt16, Event::Evt17, Event::Evt19};
  for (int s = 2; s <= 13; ++s) {
    if (s == 4) {
      continue;  // Sta4: awaiting the transport connection, no PDU can arrive yet
    }
    for (Event e : network) {
      if (e == Event::Evt16 && s == 4) {
        continue;
      }
      EXPECT_TRUE(transition(static_cast<State>(s), e).has_value())
          << "Sta" << s << " " << event_name(e);
    }
  }
}

TEST(FsmTable, NamesFollowTheStandard) {
  EXPECT_STREQ(state_name(State::Sta13), "Sta13");
  EXPECT_STREQ(event_name(Event::Evt19), "Evt19");
  EXPECT_STREQ(action_name(Action::AR_10), "AR-10");
  EXPECT_STREQ(action_name(Action::AA_8), "AA-8");
}

}  // namespace
}  // namespace acc::dicom::ul

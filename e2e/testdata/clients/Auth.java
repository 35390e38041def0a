// Connects with the PostgreSQL JDBC driver with a password and runs a statement.
//
// Usage: java -cp postgresql.jar Auth.java HOST PORT USER PASSWORD SQL
//
// Prints "ok" and the first column of the first row, or "error" and the SQLSTATE.

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

public class Auth {
    public static void main(String[] args) {
        String url = "jdbc:postgresql://" + args[0] + ":" + args[1] + "/db?sslmode=disable";
        try (Connection c = DriverManager.getConnection(url, args[2], args[3]);
             Statement st = c.createStatement()) {
            if (st.execute(args[4])) {
                ResultSet rs = st.getResultSet();
                rs.next();
                System.out.println("ok " + rs.getString(1));
            } else {
                System.out.println("ok");
            }
        } catch (SQLException e) {
            System.out.println("error " + e.getSQLState());
        }
    }
}
